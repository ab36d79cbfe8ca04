"""Reading the user's mailbox (MAILBOX.md): client, headers, sync, matching, suggestions."""
