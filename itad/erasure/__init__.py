"""Erasure-report parsers (nwipe logs, eReuse Workbench snapshots): bytes in, drives and their wipe facts out.

Pure code: nothing here imports Flask, SQLAlchemy or the rest of the app (tests/foundation/test_layering.py
holds it to that); itad.steps.erasure_reports matches the drives to media and applies the results.
"""
