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


# A drive's facts: type, make, model, capacity. Numbered for the Nth drive of the row ("Drive 2 Model",
# "DataStorage 1 Manufacturer") or unnumbered for the row's drive ("Drive Type", "HDD/SSD", "Disk Model",
# "Capacity (GB)"). A column named for a drive alone ("Drive 1", "HDD", "DataStorage 2") describes it in words
# ("512GB SSD"). A unit in the header ("Capacity (GB)", "Size (MB)") applies to bare numbers under it.
_DRIVE_WORD = r"(?:drive|disk|hdd|ssd|storage|datastorage|harddrive|harddisk|datadrive)"
_FACT_WORDS = {"type": "type", "kind": "type", "media": "type", "mediatype": "type", "tech": "type",
               "technology": "type", "model": "model", "modelname": "model", "make": "make", "brand": "make",
               "manufacturer": "make", "vendor": "make", "capacity": "capacity", "size": "capacity"}
_NUMBERED_FACT = re.compile(_DRIVE_WORD + r"(\d+)(" + "|".join(sorted(_FACT_WORDS, key=len, reverse=True))
                            + r")(b|bytes|kb|mb|gb|tb)?")
_UNNUMBERED_FACTS = {
    **{k: ("type", None) for k in ("drivetype", "disktype", "hddssd", "ssdhdd", "storagetype", "mediatype",
                                   "hddtype", "drivekind", "storagemedia", "storagemediatype", "disktechnology")},
    **{k: ("model", None) for k in ("diskmodel", "drivemodel", "hddmodel", "ssdmodel", "storagemodel")},
    **{k: ("make", None) for k in ("drivemanufacturer", "drivemake", "drivevendor", "drivebrand",
                                   "diskmanufacturer", "diskmake", "diskvendor", "hddmanufacturer", "hddmake",
                                   "hddvendor", "storagemanufacturer")},
    **{k: ("capacity", None) for k in ("capacity", "drivesize", "disksize", "hddsize", "ssdsize", "storagesize",
                                       "storage", "drivecapacity", "diskcapacity", "hddcapacity",
                                       "storagecapacity", "harddrivesize", "datastoragesize")},
    **{k: ("describe", None) for k in ("hdd", "ssd", "harddrive", "harddisk", "drive", "disk")},
}
_UNIT_SUFFIX = re.compile(r"(capacity|size|storage)(b|bytes|kb|mb|gb|tb)$")
_DESCRIBE_NUMBERED = re.compile(_DRIVE_WORD + r"(\d+)")


def drive_fact(key: str) -> tuple[int, str, str | None] | None:
    """(drive number, 0 for the row's drive; fact; unit) for a normalised header, or None."""
    numbered = _NUMBERED_FACT.fullmatch(key)
    if numbered:
        return int(numbered.group(1)), _FACT_WORDS[numbered.group(2)], numbered.group(3)
    described = _DESCRIBE_NUMBERED.fullmatch(key)
    if described:
        return int(described.group(1)), "describe", None
    if key in _UNNUMBERED_FACTS:
        return 0, _UNNUMBERED_FACTS[key][0], None
    unit = _UNIT_SUFFIX.search(key)
    if unit and key[:unit.start(2)] in _UNNUMBERED_FACTS:
        return 0, "capacity", unit.group(2)
    return None


def header_key(header: str) -> str:
    """'  Serial No. ' -> 'serialno'; 'Nº Inventary' -> 'noinventary'; 'S/N' -> 'sn'."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


_RANK: dict[str, tuple[str, int]] = {}
for _field, _spellings in _FIELD_SPELLINGS.items():
    for _rank, _spelling in enumerate(_spellings):
        _RANK.setdefault(header_key(_spelling), (_field, _rank))

FIELDS = tuple(_FIELD_SPELLINGS)
# A phone's IMEI or MEID: kept as an attribute under its header, and checked (workflows.mobile.imei_problem).
IMEI_HEADERS = frozenset(header_key(h) for h in ("IMEI", "IMEI 1", "IMEI1", "IMEI 2", "IMEI2", "IMEI Number",
                                                 "IMEI No", "IMEI/MEID", "MEID", "IMEI or MEID"))


@dataclass(frozen=True)
class ColumnMap:
    """Where each column of the file went. Headers are quoted as written in the file (trimmed)."""

    headers: tuple[str, ...]
    header_row: int
    # field name ("serial", "asset_tag", ...) -> (column index, header as written)
    fields: dict[str, tuple[int, str]]
    # columns read as drive serials, in file order: (index, header)
    drive_columns: tuple[tuple[int, str], ...]
    # columns read as drive facts: (index, header, drive number (0: the row's drive), fact, unit)
    drive_fact_columns: tuple[tuple[int, str, int, str, str | None], ...]
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
            "drive_facts": {header: (f"drive {n} " if n else "drive ") + fact
                            for _, header, n, fact, _ in self.drive_fact_columns},
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
    facts: list[tuple[int, str, int, str, str | None]] = []
    attributes: list[tuple[int, str]] = []
    used_names: set[str] = set()
    for index, header in enumerate(headers):
        if index in mapped:
            continue
        if not header:
            attributes.append((index, f"column {index + 1}"))
            continue
        key = header_key(header)
        if _DRIVE_HEADER.fullmatch(key):
            drives.append((index, header))
            continue
        fact = drive_fact(key)
        if fact is not None:
            facts.append((index, header, *fact))
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
        drive_fact_columns=tuple(facts),
        attribute_columns=tuple(attributes),
        width=len(headers),
    )
