"""Persistence: DataManager over a StorageBackend. The only code that touches disk or database."""
