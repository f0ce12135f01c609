"""The bench steps: receive, reconcile, sanitize, verify, grade, clear, destroy, close, and the stock moves,
applied to the database; the custody log and the client policies they follow; their API routes and pages.

One way to apply a step, whoever asks (the API, the bench pages, the bulk endpoint, an erasure report,
a closing batch, the stock):

    held.lock       the one locking sequence: batches, then devices, each in id order, read with what
                    the machine needs (held.py)
    planning.plan   a pure function: the step asked for + the facts held -> the record, the custody
                    events, the new states; sampling, chaining and versioning live here only
    writing.write   the one writer: a step's rows, one step or thousands (streamed), each device once,
                    its version checked and moved by the number of steps applied

Services are plain functions taking the session. They flush, never commit: the caller (one API
request, one CLI command, one job) owns the unit of work. The request's state (what is held, how far
each chain has moved) is an explicit object passed along, never kept on the session.
"""
