"""Workbooks saved the way Excel saves them, built from openpyxl's output.

openpyxl writes every text cell as an inline string; Excel writes a shared-string table and
points cells at it. Readers take different paths for the two, so tests and the bench use both.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import fromstring
from xml.sax.saxutils import escape

_INLINE = re.compile(r'(<c r="[A-Z]+[0-9]+")((?: s="[0-9]+")?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', re.S)
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def excel_like(xlsx: bytes) -> bytes:
    """The same workbook with its inline strings moved into xl/sharedStrings.xml."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(match: re.Match) -> str:
        # As an XML parser reads it: character references (&#233;) too, not only &amp; &lt; &gt;.
        text = fromstring(f"<t>{match.group(3)}</t>").text or ""
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'{match.group(1)}{match.group(2)} t="s"><v>{index[text]}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                data = _INLINE.sub(shared, data.decode()).encode()
            elif name == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/></Types>'.encode())
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdSST" Type="{_SST_REL}" Target="sharedStrings.xml"/></Relationships>'.encode())
            target.writestr(name, data)
        items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    return out.getvalue()
