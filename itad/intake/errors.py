"""Why a whole asset list is refused (as opposed to a problem on one of its rows).

Plain exceptions, no HTTP: the intake service maps them to the API's errors (422 / 413).
"""

from __future__ import annotations


class ManifestError(Exception):
    """The list as a whole cannot be taken. ``message`` is written for the client."""

    code = "manifest_invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnreadableManifest(ManifestError):
    """Not a CSV, XLSX or JSON list we can read (empty, an old .xls, a broken workbook...)."""

    code = "manifest_unreadable"


class NoSerialColumn(ManifestError):
    """No column can be the serial number; ``headers`` are the ones found, to show the client."""

    code = "manifest_no_serial_column"

    def __init__(self, headers: tuple[str, ...]):
        shown = ", ".join(repr(h) for h in headers if h) or "none"
        super().__init__(
            "No serial number column found. Name one column 'Serial' (or 'Serial Number', "
            f"'S/N', 'Service Tag'). Headers found: {shown}."
        )
        self.headers = headers


class TooManyRows(ManifestError):
    """More device rows than one batch may hold; raised as soon as the limit is passed."""

    code = "manifest_too_many_rows"

    def __init__(self, limit: int):
        super().__init__(
            f"The list has more than {limit:,} device rows, the most one batch can hold. "
            "Split it into several batches."
        )
        self.limit = limit


class TooBig(ManifestError):
    """A list past one of the reading limits (its uncompressed size, its width): refused whole, the limit named,
    before it can take the server's memory."""

    code = "manifest_too_big"

    def __init__(self, message: str, *, limit: str, value: int, maximum: int):
        super().__init__(message)
        self.limit, self.value, self.maximum = limit, value, maximum
