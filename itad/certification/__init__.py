"""Certificates of sanitization in the application: content from the database, issuing (jobs,
numbers, supersession, revocation), the operator's signing keys, and public verification.

The drawing, signing and checking of the PDF itself is the pure `certificates` package.
"""
