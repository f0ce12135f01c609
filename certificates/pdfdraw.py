"""Drawing PDF pages directly: text, rules and filled boxes, in an embedded
DejaVu Sans subset (the font the HTML templates use).

WHY: WeasyPrint's layout of a page of media records (boxes, line breaking,
tab expansion) costs many times more than writing it as a content stream
(bench/README.md). The layout of those pages is a fixed grid, so nothing is lost by
skipping the layout engine. Coordinates here are in pt from the top-left
corner of the page, like the CSS, and turned into PDF's bottom-left space
when written.

The font is embedded as a CID font (Identity-H, glyph ids as codes) with a
ToUnicode map, so any character DejaVu Sans has is printed as itself and text
extraction (and search in a reader) gives the original text back.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from .columns import _font_path

A4_LANDSCAPE = (841.89, 595.28)
MM = 72 / 25.4
# Characters every subset carries, so per-device certificates (mostly ASCII)
# share one subset per process instead of subsetting the font per document.
BASE_CHARS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
    + list("·…–—→’“”€")
)
REPLACEMENT = "?"


class Font:
    """Metrics and glyph ids of one TrueType font file."""

    def __init__(self, path: str) -> None:
        from fontTools.ttLib import TTFont

        tt = TTFont(path, lazy=True)
        self.path = path
        upem = tt["head"].unitsPerEm
        gid = {name: i for i, name in enumerate(tt.getGlyphOrder())}
        hmtx = tt["hmtx"].metrics
        cmap = tt.getBestCmap()
        self.gid = {chr(cp): gid[name] for cp, name in cmap.items()}
        self.advance = {chr(cp): hmtx[name][0] * 1000 / upem for cp, name in cmap.items()}
        self.gid_width = {gid[name]: hmtx[name][0] * 1000 / upem for name in gid}
        head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
        scale = 1000 / upem
        self.bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(hhea.ascent * scale)
        self.descent = round(hhea.descent * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", hhea.ascent) * scale)
        self.name = tt["name"].getDebugName(6) or "DejaVuSans"
        self.charset = frozenset(self.gid)
        self._hex = {ord(ch): f"{g:04X}" for ch, g in self.gid.items()}

    def printable(self, text: str) -> str:
        """The text with characters the font lacks replaced, so what is
        measured is what is drawn."""
        if self.charset.issuperset(text):
            return text
        return "".join(ch if ch in self.gid else REPLACEMENT for ch in text)

    def width(self, text: str, size: float) -> float:
        """Width in pt of printable text."""
        return sum(map(self.advance.__getitem__, text)) * size / 1000

    def fit(self, text: str, width: float, size: float) -> str:
        """The text cut to `width` pt, with an ellipsis when cut."""
        text = self.printable(" ".join(text.split()))
        if self.width(text, size) <= width:
            return text
        budget = width * 1000 / size - self.advance["…"]
        adv, used, n = self.advance, 0.0, 0
        for n, ch in enumerate(text):
            used += adv[ch]
            if used > budget:
                break
        return text[:n].rstrip() + "…"

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """The whole text in lines of at most `width` pt: broken at spaces, and inside a word only when
        the word alone is wider than the line (a serial, an asset tag, a URL). Nothing is left out."""
        text = self.printable(" ".join(text.split()))
        if self.width(text, size) <= width:
            return [text]
        budget = width * 1000 / size
        adv = self.advance
        lines: list[str] = []
        line, used = "", 0.0
        for word in text.split(" "):
            w = sum(map(adv.__getitem__, word))
            gap = adv[" "] if line else 0.0
            if used + gap + w <= budget:
                line, used = (line + " " + word if line else word), used + gap + w
                continue
            if line:
                lines.append(line)
                line, used = "", 0.0
            while w > budget:           # a word longer than the line: broken where the line ends
                n, run = 0, 0.0
                while n < len(word) and run + adv[word[n]] <= budget:
                    run += adv[word[n]]
                    n += 1
                if n > 1 and word[n - 1] == "-":
                    n -= 1          # a line ending in "-" reads (and extracts) as a hyphenated word
                n = max(n, 1)
                lines.append(word[:n])
                word = word[n:]
                w = sum(map(adv.__getitem__, word))
            line, used = word, w
        if line:
            lines.append(line)
        return lines

    def hex(self, text: str) -> str:
        """Printable text as 4-hex-digit glyph ids."""
        return text.translate(self._hex)


@lru_cache(maxsize=2)
def font(bold: bool = False) -> Font:
    return Font(_font_path(bold))


@lru_cache(maxsize=8)
def _subset(path: str, chars: frozenset[str]) -> bytes:
    """The font file cut down to `chars`, glyph ids kept (so codes = gids)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "BASE", "MATH"]
    options.name_IDs = []
    tt = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(tt)
    buf = io.BytesIO()
    tt.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=64)
def _rgb(color: str) -> str:
    c = color.lstrip("#")
    return " ".join(f"{int(c[i:i + 2], 16) / 255:.3f}" for i in (0, 2, 4))


@dataclass
class Canvas:
    """One page's content stream. Fonts are named F0 (regular) and F1 (bold)."""

    width: float = A4_LANDSCAPE[0]
    height: float = A4_LANDSCAPE[1]
    ops: list[str] = field(default_factory=list)
    chars: set[str] = field(default_factory=set)
    # Set by a drawer that had to cut a value to fit a fixed slot: such a page is not issued
    # (device_page falls back to a page laid out in full, where values wrap).
    cut: bool = False

    def box(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self.ops.append(f"{_rgb(fill)} rg {x:.2f} {self.height - y - h:.2f} {w:.2f} {h:.2f} re f")

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float, color: str) -> None:
        H = self.height
        self.ops.append(f"{_rgb(color)} RG {width:.2f} w {x1:.2f} {H - y1:.2f} m {x2:.2f} {H - y2:.2f} l S")

    def frame(self, x: float, y: float, w: float, h: float, width: float, color: str) -> None:
        self.ops.append(f"{_rgb(color)} RG {width:.2f} w {x:.2f} {self.height - y - h:.2f} {w:.2f} {h:.2f} re S")

    def text(self, x: float, baseline: float, text: str, size: float, color: str = "#1a202c",
             bold: bool = False, align: str = "left") -> None:
        f = font(bold)
        text = f.printable(text)
        if align == "right":
            x -= f.width(text, size)
        self.chars.update(text)
        self.ops.append(f"BT /F{int(bold)} {size:g} Tf {_rgb(color)} rg {x:.2f} {self.height - baseline:.2f} Td <{f.hex(text)}> Tj ET")

    def cells(self, x: float, baseline: float, cells: list[tuple[str, float]], size: float,
              color: str = "#1a202c", bold: bool = False) -> None:
        """One line of cells starting at x, each cut to its width (pt);
        one text object for the whole line keeps the stream small."""
        f = font(bold)
        parts = [f"BT /F{int(bold)} {size:g} Tf {_rgb(color)} rg {x:.2f} {self.height - baseline:.2f} Td"]
        step = 0.0
        for text, width in cells:
            if text:
                if step:
                    parts.append(f"{step:.2f} 0 Td")
                    step = 0.0
                self.chars.update(text)
                parts.append(f"<{f.hex(text)}> Tj")
            step += width
        parts.append("ET")
        self.ops.append(" ".join(parts))

    def content(self) -> bytes:
        return "\n".join(self.ops).encode("ascii")


def pdf_string(text: str) -> bytes:
    """A PDF text string: literal when ASCII, UTF-16 otherwise."""
    if text.isascii():
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"({esc})".encode("ascii")
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class PdfFile:
    """Numbered objects written in order, with a classic xref table."""

    def __init__(self, first: int = 1) -> None:
        self.first = first
        self.bodies: list[bytes | None] = []

    def reserve(self) -> int:
        self.bodies.append(None)
        return self.first + len(self.bodies) - 1

    def put(self, body: bytes, num: int | None = None) -> int:
        if num is None:
            num = self.reserve()
        self.bodies[num - self.first] = body
        return num

    def stream(self, data: bytes, extra: bytes = b"", compress: bool = True,
               num: int | None = None) -> int:
        if compress:
            data = zlib.compress(data, 3)
            extra += b" /Filter /FlateDecode"
        return self.put(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream", num)

    def objects(self, offset: int) -> tuple[bytes, list[int]]:
        """The serialised objects and their byte offsets (from `offset`)."""
        out, offsets = [], []
        pos = offset
        for i, body in enumerate(self.bodies):
            chunk = b"%d 0 obj\n%s\nendobj\n" % (self.first + i, body)
            offsets.append(pos)
            out.append(chunk)
            pos += len(chunk)
        return b"".join(out), offsets

    def output(self, root: int, info: int | None = None) -> bytes:
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        body, offsets = self.objects(len(head))
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)]
        xref += [b"%010d 00000 n \n" % o for o in offsets]
        trailer = b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(offsets) + 1, root, b" /Info %d 0 R" % info if info else b"", len(head) + len(body))
        return head + body + b"".join(xref) + trailer


def embed_fonts(pdf: PdfFile, chars: set[str]) -> bytes:
    """Both fonts as subsets holding `chars` (plus BASE_CHARS); returns the
    /Font resource dictionary naming them F0 and F1."""
    names = []
    for bold in (False, True):
        f = font(bold)
        wanted = frozenset(BASE_CHARS | {c for c in chars if c in f.gid} | {REPLACEMENT, "…"})
        wanted = frozenset(c for c in wanted if c in f.gid)
        data = _subset(f.path, wanted)
        gids = sorted({f.gid[c] for c in wanted})
        tag = "ITADA" + "AB"[bold]  # subset tag: six capitals
        base = f"/{tag}+{f.name.replace(' ', '')}".encode()
        file_num = pdf.stream(data, b" /Length1 %d" % len(data))
        descriptor = pdf.put(
            b"<< /Type /FontDescriptor /FontName %s /Flags 32 /FontBBox [%s] /ItalicAngle 0"
            b" /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
            % (base, " ".join(map(str, f.bbox)).encode(), f.ascent, f.descent, f.cap_height, file_num))
        widths = " ".join(f"{g} [{round(f.gid_width[g])}]" for g in gids).encode()
        cid = pdf.put(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo << /Registry (Adobe)"
            b" /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W [%s]"
            b" /CIDToGIDMap /Identity >>" % (base, descriptor, widths))
        to_unicode = pdf.stream(_to_unicode({f.gid[c]: c for c in wanted}))
        names.append(pdf.put(
            b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H"
            b" /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (base, cid, to_unicode)))
    return b"<< /F0 %d 0 R /F1 %d 0 R >>" % tuple(names)


def _to_unicode(by_gid: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
    ]
    items = sorted(by_gid.items())
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for g, ch in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
