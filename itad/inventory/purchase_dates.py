"""When a unit was bought, as the client's asset list says: its age is part of what it will sell for.

The column is kept as written among the row's attributes (intake maps no field to it), and is read here as dates
over a whole list at once, because a date alone often cannot say what it means: "3/1/23" is 1 March in a list
written in the US and 3 January in one written in Europe. A list's other dates decide: a "1/23/23" in the same
column can only be month first, a "23/1/23" only day first. Where nothing in the column tells, or the column holds
both orders, an ambiguous date stays unknown and says why; so does one that is not a date, lies in the future or
before 1980.

Read: ISO (2023-01-23, with or without a time; what XLSX cells become), day.month.year (dots: day first, the
convention wherever dots are used), d/m/y or m/d/y and d-m-y or m-d-y with two- or four-digit years (two digits: the
latest such year not after today), and dates with month names ("23 Jan 2023", "Jan 23, 2023", "Tue Jul  2 10:37:44
2019", the C locale's form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping, Sequence

from itad.intake.headers import header_key

HEADERS = frozenset(header_key(h) for h in (
    "Purchase Date", "Purchased", "Purchased On", "Date Purchased", "Date of Purchase", "Acquisition Date",
    "Acquired", "Acquired On"))
EARLIEST = date(1980, 1, 1)

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%a %b %d %H:%M:%S %Y", "%d-%b-%Y", "%d-%b-%y")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@dataclass(frozen=True)
class Purchase:
    """A line's purchase date: the day, or None with why (`why` is None where the list gives no date at all)."""
    day: date | None
    written: str | None = None
    why: str | None = None


def written_in(attributes: Mapping[str, str] | None) -> str | None:
    """The purchase date as the row wrote it, from its attributes (the first purchase-date column), or None."""
    for header, value in (attributes or {}).items():
        if header_key(header) in HEADERS and str(value).strip():
            return str(value).strip()
    return None


def read_column(values: Sequence[str | None], today: date) -> list[Purchase]:
    """Each value of one list's purchase-date column as a Purchase, the order of day and month decided by the column
    (see the module's docstring)."""
    parsed = [_parse(v, today) if v else None for v in values]
    day_first = any(p[0] == "day_first" for p in parsed if p)
    month_first = any(p[0] == "month_first" for p in parsed if p)
    out = []
    for value, p in zip(values, parsed):
        if p is None:
            out.append(Purchase(None))
            continue
        kind, found = p[0], p[1]
        if kind == "ambiguous":
            a, b, year = found
            if day_first and not month_first:
                found = _day(year, b, a)
            elif month_first and not day_first:
                found = _day(year, a, b)
            else:
                why = ("the column holds both day-first and month-first dates" if day_first else
                       "no date in the column tells whether day or month comes first")
                out.append(Purchase(None, value, f"could be {_say(_day(year, b, a))} or {_say(_day(year, a, b))}: "
                                                 f"{why}"))
                continue
        out.append(_checked(value, found, today))
    return out


def _parse(value: str, today: date) -> tuple[str, object]:
    """("day", date), ("day_first"/"month_first", date or None), ("ambiguous", (a, b, year)), or ("bad", None)."""
    text = " ".join(value.replace(",", " ").split())
    iso = _ISO.fullmatch(text)
    if iso:
        return "day", _day(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        a, sep, b, y = int(numeric.group(1)), numeric.group(2), int(numeric.group(3)), numeric.group(4)
        year = int(y) if len(y) == 4 else _century(int(y), today)
        if sep == ".":
            return "day", _day(year, b, a)
        if a > 12 >= b:
            return "day_first", _day(year, b, a)
        if b > 12 >= a:
            return "month_first", _day(year, a, b)
        if a == b or a > 12:
            return "day", _day(year, a, b)          # the same either way, or no date at all (both above 12)
        return "ambiguous", (a, b, year)
    for fmt in _NAMED:
        try:
            return "day", datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return "bad", None


def _checked(value: str, day: object, today: date) -> Purchase:
    if not isinstance(day, date):
        return Purchase(None, value, "not a date this server reads")
    if day > today:
        return Purchase(None, value, "in the future")
    if day < EARLIEST:
        return Purchase(None, value, f"before {EARLIEST.year}: not a purchase date")
    return Purchase(day, value)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _century(yy: int, today: date) -> int:
    return 2000 + yy if 2000 + yy <= today.year else 1900 + yy


def _say(day: date | None) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else "no date"
