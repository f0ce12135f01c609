"""The period a report covers (the quality report, the environmental summary): the days asked for, else the year
up to today; and a day as a form or a query string writes it."""

from __future__ import annotations

from datetime import date, timedelta

DEFAULT_DAYS = 365


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """(start, end): an end not given is today; a start not given is DEFAULT_DAYS before the end."""
    end = end or date.today()
    return start or end - timedelta(days=DEFAULT_DAYS), end


def day(text: str | None) -> date | None:
    """An ISO day typed into a form or a query string; None when empty or not a day."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
