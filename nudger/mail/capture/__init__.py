"""Capture: the recogniser (one message in, findings out), mail files, the live INBOX
handler, and the suggestions store."""
