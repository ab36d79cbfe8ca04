"""The database: the tables (`models`), the engine, sessions and schema upgrades (`db`,
`migrations/`). Importing the package imports nothing heavy; import the module you need.
"""
