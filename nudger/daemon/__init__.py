"""`nudger run`: the scheduler that wakes the passes, signals, readiness, the one-daemon
lock, the log, and `nudger service install`."""
