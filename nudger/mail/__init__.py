"""Reading the user's mailbox (docs/mailbox.md): client, headers, sync, matching, suggestions."""
