"""When things happen: durations, dates as users type them, business days and holidays,
the digest's schedule, and UTC moments. Pure: every function takes the time it needs."""
