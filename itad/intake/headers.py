"""Which column of a client's asset list holds what.

Clients write headers every way there is ("S/N", "Serial No.", "Nº Inventary", "HDD1 SN"), so a
header is compared after folding case, compatibility characters (º -> o, non-breaking space ->
space) and dropping everything but letters and digits. Columns the server has no field for are
kept per row as attributes under the header as written, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Field -> spellings in order of preference: when a file has several columns for one field
# (Snipe-IT's "Model name" and "Model Number"), the best-ranked wins and the others are kept
# as attributes. Spellings are normalised with header_key() when the table is built.
_FIELD_SPELLINGS: dict[str, tuple[str, ...]] = {
    "serial": (
        "Serial", "Serial Number", "S/N", "SN", "Serial No.", "Serial Nr", "Serial Num",
        "Service Tag",
    ),
    "asset_tag": (
        "Asset Tag", "Asset #", "Asset Number", "Asset No", "Asset ID", "Tag",
        "Inventory Number", "Inventory No", "Inventory", "Nº Inventary", "Nº Inventory",
        "N Inventary", "Inventary", "Inventory Tag", "Property Number",
    ),
    "manufacturer": ("Manufacturer", "Make", "Brand", "Vendor"),
    "model": ("Model Name", "Model", "Model Number", "Model No"),
    "category": ("Category", "Type", "Device Type", "Asset Type", "Type of device", "Device Category"),
}

# Drive serials: one column holding several ("Drive Serials", "Disk Serial Numbers") or one
# column per drive ("Drive 1 Serial", "HDD1 SN", "DataStorage 1 Serial Number").
_DRIVE_HEADER = re.compile(
    r"(?:drive|drives|hdd|hdds|ssd|ssds|disk|disks|harddrive|harddisk|storage|datastorage|nvme)"
    r"\d*(?:serial|serials|sn|sns|serialnumber|serialnumbers|serialno|serialnos)"
)


def header_key(header: str) -> str:
    """'  Serial No. ' -> 'serialno'; 'Nº Inventary' -> 'noinventary'; 'S/N' -> 'sn'."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


_RANK: dict[str, tuple[str, int]] = {}
for _field, _spellings in _FIELD_SPELLINGS.items():
    for _rank, _spelling in enumerate(_spellings):
        _RANK.setdefault(header_key(_spelling), (_field, _rank))

FIELDS = tuple(_FIELD_SPELLINGS)


@dataclass(frozen=True)
class ColumnMap:
    """Where each column of the file went. Headers are quoted as written in the file (trimmed)."""

    headers: tuple[str, ...]
    header_row: int
    # field name ("serial", "asset_tag", ...) -> (column index, header as written)
    fields: dict[str, tuple[int, str]]
    # columns read as drive serials, in file order: (index, header)
    drive_columns: tuple[tuple[int, str], ...]
    # columns kept per row as attributes: (index, attribute name). A repeated header gets a
    # suffix ("Category (2)"); an empty header is named "column N" (N counted from 1), which
    # only ever shows up on rows where that column holds something.
    attribute_columns: tuple[tuple[int, str], ...]
    width: int = field(default=0)

    def header_of(self, field_name: str) -> str | None:
        found = self.fields.get(field_name)
        return found[1] if found else None

    def as_dict(self) -> dict:
        """A JSON-ready summary for a preview screen or an API answer."""
        return {
            "header_row": self.header_row,
            "headers": list(self.headers),
            "fields": {name: header for name, (_, header) in self.fields.items()},
            "drive_serials": [header for _, header in self.drive_columns],
            "attributes": [name for i, name in self.attribute_columns if self.headers[i]],
            # Columns with an empty header: their values, where there are any, are kept under
            # these names; a column that is empty throughout simply never shows up.
            "unnamed_columns": [name for i, name in self.attribute_columns if not self.headers[i]],
        }


def map_columns(raw_headers: list[str], header_row: int) -> ColumnMap | None:
    """Map a header row; None when no column can be the serial (the caller decides what that means)."""
    headers = [h.strip() for h in raw_headers]
    # Trailing empty header cells are spreadsheet padding: they say nothing about the columns.
    while headers and not headers[-1]:
        headers.pop()

    best: dict[str, tuple[int, int]] = {}  # field -> (rank, index)
    for index, header in enumerate(headers):
        found = _RANK.get(header_key(header)) if header else None
        if found is None:
            continue
        name, rank = found
        if name not in best or rank < best[name][0]:  # equal rank: the first column wins
            best[name] = (rank, index)
    if "serial" not in best:
        return None

    mapped = {index: name for name, (_, index) in best.items()}
    drives: list[tuple[int, str]] = []
    attributes: list[tuple[int, str]] = []
    used_names: set[str] = set()
    for index, header in enumerate(headers):
        if index in mapped:
            continue
        if not header:
            attributes.append((index, f"column {index + 1}"))
            continue
        if _DRIVE_HEADER.fullmatch(header_key(header)):
            drives.append((index, header))
            continue
        name, n = header, 1
        while name in used_names or name in {headers[i] for i in mapped}:
            n += 1
            name = f"{header} ({n})"
        used_names.add(name)
        attributes.append((index, name))

    return ColumnMap(
        headers=tuple(headers),
        header_row=header_row,
        fields={name: (index, headers[index]) for name, (_, index) in best.items()},
        drive_columns=tuple(drives),
        attribute_columns=tuple(attributes),
        width=len(headers),
    )
