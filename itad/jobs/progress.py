"""Progress people can watch: a bar on the terminal for long CLI commands.

The callback has the signature of ``JobContext.progress(done, total=None)``, so
the same service code reports to a Job row in a worker and to a bar in a CLI.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from itad.jobs.context import ProgressCallback


@contextmanager
def cli_progress(label: str, total: int | None = None, file=None) -> Iterator[ProgressCallback]:
    """``with cli_progress("Importing rows", n) as report: import_rows(..., progress=report)``.

    The total may be unknown at first and given by a later ``report(done, total)``."""
    # Click wants a length or an iterable; an empty generator has no length, which
    # is how a bar with an unknown total starts.
    unknown = (_ for _ in ()) if total is None else None
    with click.progressbar(unknown, length=total, label=label, file=file, show_pos=True) as bar:
        def report(done: int, total: int | None = None) -> None:
            if total is not None and total != bar.length:
                bar.length = total
            step = int(done) - bar.pos
            if step > 0:
                bar.update(step)

        yield report
