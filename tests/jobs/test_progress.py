"""The CLI progress bar is driven by the same callback a job reports to."""

from __future__ import annotations

import io

from itad.jobs import JobContext
from itad.jobs.progress import cli_progress
from tests.jobs.sample_jobs import count_to


class Terminal(io.StringIO):
    """Click draws the bar only on a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_job_function_called_from_the_cli_drives_a_progress_bar(session):
    out = Terminal()
    with cli_progress("Counting", file=out) as report:
        result = count_to(JobContext(session, on_progress=report), steps=5, slug="from-cli")

    assert result["steps"] == 5
    text = out.getvalue()
    assert "Counting" in text and "5/5" in text


def test_the_bar_learns_its_total_from_the_first_report_that_gives_it():
    out = Terminal()
    with cli_progress("Importing", file=out) as report:
        report(10, 40)
        report(40)

    assert "10/40" in out.getvalue() and "40/40" in out.getvalue()
