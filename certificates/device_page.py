"""Per-device certificates in bulk: the page laid out once, the values drawn
per device.

WHY: laying out each device certificate with WeasyPrint is far slower than a
bulk run may be (bench/README.md has the figures). Every device certificate has the same
shape, so the template (device_frame.html.j2) is laid out once per process
with an empty, fixed-size slot where each value goes; WeasyPrint reports
each slot's rectangle (anchors) and style. Per device we only draw the values
into those rectangles (pdfdraw) and append them to the frame as an
incremental update: a few kilobytes of new objects after the frame's bytes,
no parsing, no layout.

Devices with more media than the frame has rows (or none) are left to the
full HTML renderer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import segno

from .data import CertificateData, MediumLine
from .pdfdraw import MM, Canvas, PdfFile, embed_fonts, font, pdf_string
from .sheets import PAGE_H, PAGE_W, _margins

MEDIA_ROWS = 8
MEDIA_ROW_H = 4.2 * MM
MEDIA_LINE_H = 2.9 * MM   # each further line of a wrapped media row
PX = 0.75  # CSS px in pt
# Storage-media columns (mm); the last takes the rest of the line.
MEDIA_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Media", 14), ("Drive", 30), ("Method", 15), ("Technique", 22), ("Tool", 32),
    ("Verification", 30), ("Performed by", 36), ("Performed at", 26), ("Outcome", 20), ("Notes", 0),
)


@dataclass(frozen=True)
class Slot:
    x: float  # pt from the top-left of the page
    y: float
    w: float
    h: float
    size: float
    bold: bool
    color: str


@dataclass(frozen=True)
class Frame:
    """The laid-out page and what an incremental update needs to know."""

    pdf: bytes
    size: int  # first free object number
    startxref: int
    root: int
    page_num: int
    page_body: bytes  # the page object, its /Contents and /Font extended
    slots: dict[str, Slot]
    columns: tuple[tuple[float, float], ...]  # media columns: x, width (pt)


def fits(d: CertificateData) -> bool:
    return 0 < len(d.lines) <= MEDIA_ROWS


def _hex_color(color) -> str:
    rgb = getattr(color, "coordinates", None) or (color.red, color.green, color.blue)
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb[:3])


def _styles(page) -> dict[str, tuple[float, bool, str]]:
    """Font size, weight and colour of each slot, as the CSS computed them."""
    out = {}
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        ident = element.get("id") if element is not None else None
        if ident and ident.startswith("slot-") and ident not in out:
            s = box.style
            out[ident] = (s["font_size"] * PX, s["font_weight"] >= 600, _hex_color(s["color"]))
        stack.extend(getattr(box, "children", ()))
    return out


# Layout-dependent object numbers of the update, in the order they are added.
_Q, _FONTS_FIRST = 0, 1  # then 10 font objects (5 per font), then:
_OVERLAY, _INFO, _COUNT = 11, 12, 13


@lru_cache(maxsize=4)
def frame(superseded: bool) -> Frame:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    from .render import TEMPLATES, _css, _env, _weasy

    html = _env().get_template("device_frame.html.j2").render(
        css=_css(), superseded=superseded, media_rows=MEDIA_ROWS,
        titles=[t for t, _ in MEDIA_COLUMNS], widths=[w for _, w in MEDIA_COLUMNS if w],
    )
    document = _weasy(html).render()
    if len(document.pages) != 1:
        raise RuntimeError("the device frame does not fit one page")
    page = document.pages[0]
    styles = _styles(page)
    slots, cols = {}, []
    for ident, (x0, y0, x1, y1) in page.anchors.items():
        if ident.startswith("slot-"):
            slots[ident[5:]] = Slot(x0 * PX, y0 * PX, (x1 - x0) * PX, (y1 - y0) * PX, *styles[ident])
        elif ident.startswith("col-"):
            cols.append((int(ident[4:]), x0 * PX, (x1 - x0) * PX))
    columns = tuple((x, w) for _, x, w in sorted(cols))

    # Rewritten by pypdf: a classic xref table and no object streams, so an
    # update can be appended with a plain xref section.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document.write_pdf())))
    buf = io.BytesIO()
    writer.write(buf)
    base = buf.getvalue()
    reader = PdfReader(io.BytesIO(base))
    pg = reader.pages[0]
    size = int(reader.trailer["/Size"])
    startxref = int(base[base.rindex(b"startxref") + 9:].split()[0])
    ref = lambda k: IndirectObject(size + k, 0, reader)  # noqa: E731
    contents = pg.get("/Contents")
    old = list(contents) if isinstance(contents, ArrayObject) else [contents]
    new_page = DictionaryObject({NameObject(k): v for k, v in pg.items()})
    new_page[NameObject("/Contents")] = ArrayObject([ref(_Q), *old, ref(_OVERLAY)])
    resources = DictionaryObject(pg["/Resources"].get_object())
    fonts = DictionaryObject(resources.get("/Font", DictionaryObject()).get_object())
    fonts[NameObject("/F0")] = ref(_FONTS_FIRST + 4)
    fonts[NameObject("/F1")] = ref(_FONTS_FIRST + 9)
    resources[NameObject("/Font")] = fonts
    new_page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    new_page.write_to_stream(out)
    return Frame(base, size, startxref, int(reader.trailer.raw_get("/Root").idnum),
                 pg.indirect_reference.idnum, out.getvalue(), slots, columns)


def _put(c: Canvas, slot: Slot, text: str, **style) -> None:
    size = style.get("size", slot.size)
    bold = style.get("bold", slot.bold)
    fitted = _fitted(c, font(bold), text, slot.w, size)
    c.text(slot.x, slot.y + 1.02 * size, fitted, size, style.get("color", slot.color), bold)


def _runs(c: Canvas, slot: Slot, runs: list[tuple[str, bool]]) -> None:
    """Text in the slot's style, some runs bold, one after another on the line."""
    x, right = slot.x, slot.x + slot.w
    for text, bold in runs:
        f = font(bold)
        fitted = _fitted(c, f, text, right - x, slot.size)
        c.text(x, slot.y + 1.02 * slot.size, fitted, slot.size, slot.color, bold)
        x += f.width(fitted, slot.size)
        if c.cut:
            break  # cut: nothing more fits


def _fitted(c: Canvas, f, text: str, width: float, size: float) -> str:
    """The text as it fits `width`; when it had to be cut, the canvas says so (c.cut)."""
    fitted = f.fit(text, width, size)
    if fitted != f.printable(" ".join(text.split())):
        c.cut = True
    return fitted


def _wrap(c: Canvas, text: str, width: float, size: float, lines: int) -> list[str]:
    """Cut anywhere (a URL has no spaces to break at), at most `lines` lines."""
    f, out = font(False), []
    text = f.printable(text)
    while text and len(out) < lines - 1:
        n = len(text)
        while n > 1 and f.width(text[:n], size) > width:
            n -= 1
        out.append(text[:n])
        text = text[n:]
    if text:
        out.append(_fitted(c, f, text, width, size))
    return out


def _qr(c: Canvas, slot: Slot, url: str) -> None:
    matrix = segno.make(url, error="m").matrix
    n = len(matrix) + 2  # one module of quiet zone each side
    m = min(slot.w, slot.h) / n
    for r, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if row[col]:
                end = col
                while end < len(row) and row[end]:
                    end += 1
                c.box(slot.x + (col + 1) * m, slot.y + (r + 1) * m, (end - col) * m + 0.05, m + 0.05, "#000000")
                col = end
            else:
                col += 1


def _media_cells(line: MediumLine) -> list[str]:
    return [
        line.media_type, line.drive(), line.method_type or "n/a", line.how(),
        f"{line.tool} {line.tool_version}".strip(), line.checked(),
        f"{line.performed_by}, {line.performed_by_title}" if line.performed_by_title else line.performed_by,
        line.performed_at.strftime("%Y-%m-%d %H:%M") if line.performed_at else "",
        line.outcome.replace("_", " "), line.notes,
    ]


def draw(d: CertificateData, fr: Frame, head: tuple[str, str, str]) -> Canvas:
    """The values of one device certificate, placed in the frame's slots."""
    c = Canvas(PAGE_W, PAGE_H)
    s = fr.slots
    _margins(c, *head, "Page 1 of 1")
    number = s["number"]
    lead = f"No. {d.number}"
    _put(c, number, lead, size=10, bold=True)
    issued = d.issued_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    x = number.x + font(True).width(font(True).printable(lead), 10)
    rest = Slot(x, number.y + 1.02 * 10 - 1.02 * 8, number.w - (x - number.x), number.h, 8, False, "#4a5568")
    _put(c, rest, f" · Device certificate · issued {issued}")
    if d.supersedes and "supersedes" in s:
        _put(c, s["supersedes"], f"This certificate supersedes certificate No. {d.supersedes}, which is no longer valid.")
    _put(c, s["operator"], d.operator.name)
    _put(c, s["location"], d.operator.location)
    _put(c, s["phone"], d.operator.phone)
    _put(c, s["client"], d.client.name)
    _put(c, s["batch"], f"Batch {d.batch.reference}")
    _put(c, s["batch-id"], f"Batch id {d.batch.id} · data backed up: {d.batch.backed_up()}")
    _qr(c, s["qr"], d.verify_url)
    url = s["url"]
    for k, part in enumerate(_wrap(c, d.verify_url, url.w, url.size, 3)):
        c.text(url.x, url.y + 1.02 * url.size + k * 1.35 * url.size, part, url.size, url.color)
    first = d.lines[0]
    _put(c, s["device"], f"{first.make} {first.model} ({first.category})")
    _put(c, s["serials"], f"Serial {first.device_serial} · Asset tag {first.asset_tag}")
    outcome = "destroyed" if d.summary.destroyed else (
        "sanitized" if d.summary.sanitized else first.outcome.replace("_", " "))
    destinations = ", ".join(dict.fromkeys(l.destination for l in d.lines))
    _runs(c, s["outcome"], [(outcome, True), (f" · destination: {destinations}", False)])
    _put(c, s["classification"], f"Confidentiality: {first.classification} → {first.post_classification}")
    media = s["media"]
    pad = 1.5 * MM
    top, bottom = media.y, media.y + MEDIA_ROWS * MEDIA_ROW_H
    for line in d.lines:
        # A value wider than its cell wraps within the row; rows that no longer fit the slot send the
        # certificate to the laid-out page (c.cut), where the table grows.
        wrapped = [font(False).wrap(v, w - 2 * pad, 7) for v, (_, w) in zip(_media_cells(line), fr.columns)]
        height = MEDIA_ROW_H + (max(map(len, wrapped)) - 1) * MEDIA_LINE_H
        if top + height > bottom + 0.01:
            c.cut = True
            break
        for n in range(max(map(len, wrapped))):
            c.cells(fr.columns[0][0] + pad, top + MEDIA_ROW_H - 1.3 * MM + n * MEDIA_LINE_H,
                    [(cell[n] if n < len(cell) else "", w) for cell, (_, w) in zip(wrapped, fr.columns)], 7)
        top += height
        c.rule(fr.columns[0][0], top, fr.columns[-1][0] + fr.columns[-1][1], top, 0.4, "#e2e8f0")
    for who, p in (("performer", d.performer), ("validator", d.validator)):
        _runs(c, s[who], [(p.name, True), (f", {p.title}", False)])
        _put(c, s[f"{who}-org"], p.organization)
        _put(c, s[f"{who}-sig"], f"Signature: embedded digital signature of {d.operator.name} · "
                                 f"Date: {d.issued_at.strftime('%Y-%m-%d')}")
    return c


def device_pdf(d: CertificateData, head: tuple[str, str, str], info: dict[str, str]) -> bytes | None:
    """The frame plus this device's values, as one incremental update; None when a value would not fit
    its slot whole (the caller lays that certificate out in full, where values wrap)."""
    fr = frame(d.supersedes is not None)
    c = draw(d, fr, head)
    if c.cut:
        return None
    update = PdfFile(first=fr.size)
    update.stream(b"q", compress=False)
    embed_fonts(update, c.chars)
    update.stream(b"Q\n" + c.content())
    update.put(b"<< %s >>" % b" ".join(k.encode() + b" " + pdf_string(v) for k, v in info.items()))
    assert len(update.bodies) == _COUNT, "update objects out of the planned order"
    start = len(fr.pdf)
    body, offsets = update.objects(start + 1)
    page = b"%d 0 obj\n%s\nendobj\n" % (fr.page_num, fr.page_body)
    page_at = start + 1 + len(body)
    xref_at = page_at + len(page)
    xref = b"xref\n%d 1\n%010d 00000 n \n%d %d\n%s" % (
        fr.page_num, page_at, fr.size, _COUNT, b"".join(b"%010d 00000 n \n" % o for o in offsets))
    trailer = b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        fr.size + _COUNT, fr.root, fr.size + _INFO, fr.startxref, xref_at)
    return fr.pdf + b"\n" + body + page + xref + trailer
