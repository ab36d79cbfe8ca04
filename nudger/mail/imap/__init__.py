"""The mailbox as nudger reads it: the IMAP session, headers, one sync pass, matching mail
to applications, replies, and the mailbox's status."""
