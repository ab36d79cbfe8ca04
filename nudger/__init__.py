"""nudger: the colleague who never forgets to follow up on a job application."""

__version__ = "0.1.0"
