"""Batch intake: reading a client's asset list (CSV, XLSX, JSON) into validated device rows.

Pure code: bytes in, rows and problems out. Nothing here imports Flask or SQLAlchemy; the
service that writes the rows to the database lives elsewhere and maps these errors to HTTP.
"""
