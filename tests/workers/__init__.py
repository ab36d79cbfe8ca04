"""Tests of nudger/workers: `nudger worker` as real subprocesses on a real PostgreSQL."""
