"""The mailbox: IMAP client, sync, matching, drafts, commands and capture (MAILBOX.md)."""
