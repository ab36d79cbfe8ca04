"""Many workers on one PostgreSQL database (`nudger worker`), on procrastinate."""
