"""Batch intake: reading a client's asset list (CSV, XLSX, JSON) into validated device rows.

The parser (manifest.py with reading, headers, categories, errors) is pure code: bytes in, rows and
problems out, importing nothing of Flask, SQLAlchemy or the rest of the app (tests/foundation/
test_layering.py holds it to that). service.py writes the rows (loading.py streams them), jobs.py runs
a long list in the background, routes.py and commands.py serve it over HTTP and the CLI.
"""
