"""The job hunt itself: applications and their changes (tracker), what is due (cadence),
the loaded state the engine reads (progress), what comes next, and effort and results."""
