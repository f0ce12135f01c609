"""Services that apply the device workflow (workflows.machine) to the database.

Plain functions taking the session. They add and flush, never commit: the caller (one API request,
one CLI command, one job) owns the unit of work. Every state change goes through
``transitions.apply_transition``, which checks the machine's guards, bumps the device version and
appends the custody event.
"""
