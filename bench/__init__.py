"""`python -m bench` (or `make bench`): every performance figure against its baseline."""
