"""Pydantic schemas: the domain records, the API bodies, and the table metadata."""
