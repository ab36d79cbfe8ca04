"""Getting mail out exactly once: the outbox flow, each transport, the message builder and
the outbox's status for the user."""
