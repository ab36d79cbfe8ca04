"""The user's calendars: interviews and follow-ups as iCalendar, the .ics file and the
CalDAV push kept in step with the store."""
