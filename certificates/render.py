"""Certificate data -> HTML (Jinja2) -> PDF (WeasyPrint), fast enough for
10,000-device batches.

How a batch certificate is built:
1. the cover (header, summary, exceptions, attestation) is laid out once to
   learn how many pages it takes;
2. the per-medium lines are cut into sheets of ROWS_PER_SHEET lines, one sheet
   per page, so the page count of the whole document is known before any of
   it is drawn and every footer can say "Page X of Y";
3. sheets are rendered in chunks in a process pool (WeasyPrint is
   single-threaded), the cover in this process meanwhile;
4. the chunk PDFs are concatenated with pypdf and the certificate number is
   written into the document information (/Subject, /CertificateNumber) so a
   verifier can read it back.

Per-device certificates are rendered many to a WeasyPrint document (one
page each) and split afterwards: WeasyPrint's fixed cost per document (style
cascade, fonts) is larger than the cost of one page.
"""

from __future__ import annotations

import atexit
import io
import math
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import jinja2
import segno

from . import columns
from .data import METHOD_TYPES, CertificateData

TEMPLATES = Path(__file__).parent / "templates"
ROWS_PER_SHEET = 50
SHEETS_PER_CHUNK = 20
# Per-device certificates with more media than this may need a second page,
# so they are rendered on their own rather than grouped.
DEVICE_LINES_PER_PAGE = 8
DEVICES_PER_GROUP = 25
PRODUCER = "itad certificates (WeasyPrint, pyHanko)"


class RenderError(RuntimeError):
    """The certificate could not be laid out as designed."""


def _css_string(value: object) -> str:
    """A CSS string literal (for content/string-set), safe for any data.

    Returned as plain text: autoescaping makes it safe inside a style=""
    attribute; inside <style> the template marks it |safe, and "<" is
    escaped here so data can never close the style element."""
    text = " ".join(str(value).split())
    text = text.replace("\\", "\\5c ").replace('"', "\\22 ").replace("<", "\\3c ")
    return f'"{text}"'


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=False,
    )
    env.filters["css_string"] = _css_string
    return env


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "certificate.css").read_text()


def qr_data_uri(url: str) -> str:
    # PNG rather than SVG: WeasyPrint draws a small bitmap faster than it parses SVG.
    return segno.make(url, error="m").png_data_uri(scale=4, border=1)


def _head_left(d: CertificateData) -> str:
    return f"{d.operator.name} · Certificate of Sanitization No. {d.number}"


def _foot_left(d: CertificateData) -> str:
    return f"Certificate No. {d.number} · verify at {d.verify_url}"


def _head_right(d: CertificateData) -> str:
    return f"{d.client.name} · batch {d.batch.reference}"


def _methods(d: CertificateData) -> list[tuple[str, int]]:
    counts = {m: 0 for m in METHOD_TYPES}
    for line in d.lines:
        if line.method_type:
            counts[line.method_type] += 1
    return [(m, n) for m, n in counts.items() if n] or [("no media", 0)]


# --- HTML ------------------------------------------------------------------


def cover_html(d: CertificateData, total_pages: int | str, cover_pages: int = 1) -> str:
    return _env().get_template("cover.html.j2").render(
        d=d,
        s=d.summary,
        css=_css(),
        qr=qr_data_uri(d.verify_url),
        methods=_methods(d),
        total_pages=total_pages,
        cover_pages=cover_pages,
        head_left=_head_left(d),
        head_right=_head_right(d),
        foot_left=_foot_left(d),
    )


@dataclass(frozen=True)
class _Chunk:
    """A run of sheets, with what they need to know about the whole document."""

    data: CertificateData  # lines emptied: only the header fields travel
    lines: tuple
    first_line: int  # 0-based index of lines[0] in the certificate
    first_shade: bool  # zebra shading continues across chunks
    first_page: int
    total_pages: int
    total_lines: int


def sheet_html(chunk: _Chunk) -> str:
    d = chunk.data
    rows = []
    shade = chunk.first_shade
    previous = None
    for line in chunk.lines:
        # Shade by device, not by line, so a device's media read as one group.
        if previous is not None and line.device_serial != previous:
            shade = not shade
        previous = line.device_serial
        rows.append((shade, columns.medium_line(line)))
    sheets = []
    for i in range(0, len(rows), ROWS_PER_SHEET):
        first = chunk.first_line + i + 1
        last = chunk.first_line + min(i + ROWS_PER_SHEET, len(rows))
        page = chunk.first_page + i // ROWS_PER_SHEET
        sheets.append({
            "rows": rows[i:i + ROWS_PER_SHEET],
            "head_right": f"{d.client.name} · batch {d.batch.reference} · "
                          f"media records {first:,}–{last:,} of {chunk.total_lines:,}",
            "foot_right": f"Page {page} of {chunk.total_pages}",
        })
    return _env().get_template("sheet.html.j2").render(
        css=_css(),
        sheets=sheets,
        colhead=columns.header_line(),
        head_left=_head_left(d),
        foot_left=_foot_left(d),
    )


# --- PDF -------------------------------------------------------------------


def _weasy(html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES))


def _write(document) -> bytes:
    return document.write_pdf()


def _render_chunk(chunk: _Chunk) -> bytes:
    document = _weasy(sheet_html(chunk)).render()
    expected = math.ceil(len(chunk.lines) / ROWS_PER_SHEET)
    if len(document.pages) != expected:
        # A sheet overflowed its page: every later page number would be wrong.
        raise RenderError(
            f"media sheet chunk gave {len(document.pages)} pages, expected {expected}"
        )
    return _write(document)


def _shade_at(lines: Sequence, index: int) -> bool:
    """The zebra shade of lines[index], counting device changes before it."""
    shade = False
    for a, b in zip(lines[:index], lines[1:index + 1]):
        if a.device_serial != b.device_serial:
            shade = not shade
    return shade


def _metadata(d: CertificateData) -> dict:
    return {
        "/Title": f"Certificate of Sanitization {d.number}",
        "/Subject": f"Certificate of Sanitization {d.number}",
        "/Author": d.operator.name,
        "/Producer": PRODUCER,
        "/CertificateNumber": d.number,
        "/CertificateKind": d.kind,
    }


def merge_pdfs(parts: Sequence[bytes], metadata: dict) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_PID = 0


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool kept for the life of the process: starting workers and
    importing WeasyPrint in them costs more than a small certificate."""
    global _POOL, _POOL_SIZE, _POOL_PID
    if _POOL is None or _POOL_SIZE != workers or _POOL_PID != os.getpid():
        if _POOL is not None and _POOL_PID == os.getpid():
            _POOL.shutdown(cancel_futures=True)
        import weasyprint  # noqa: F401  (imported before fork so workers inherit it)

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        _POOL_SIZE, _POOL_PID = workers, os.getpid()
    return _POOL


@atexit.register
def shutdown_pool() -> None:
    global _POOL
    if _POOL is not None and _POOL_PID == os.getpid():
        _POOL.shutdown(cancel_futures=True)
    _POOL = None


def render_pdf(data: CertificateData, *, workers: int | None = None) -> bytes:
    """The unsigned certificate PDF. workers=1 renders in this process."""
    import dataclasses

    workers = workers or default_workers()
    lines = data.lines
    header = dataclasses.replace(data, lines=())
    sheets = math.ceil(len(lines) / ROWS_PER_SHEET)

    # Pass 1: how many pages does the cover take? (its length depends on the
    # missing/unexpected lists). The total only changes a footer string.
    cover_pages = len(_weasy(cover_html(data, 9999)).render().pages)
    total = cover_pages + sheets

    per_chunk = ROWS_PER_SHEET * SHEETS_PER_CHUNK
    chunks = []
    shade = False
    for start in range(0, len(lines), per_chunk):
        part = lines[start:start + per_chunk]
        chunks.append(_Chunk(header, part, start, shade, cover_pages + 1 + start // ROWS_PER_SHEET,
                             total, len(lines)))
        shade = _shade_at(lines, start + len(part)) if start + len(part) < len(lines) else shade
    if workers > 1 and len(chunks) > 1:
        futures = [_pool(workers).submit(_render_chunk, c) for c in chunks]
        cover = _render_cover(data, total, cover_pages)
        parts = [cover] + [f.result() for f in futures]
    else:
        parts = [_render_cover(data, total, cover_pages)] + [_render_chunk(c) for c in chunks]
    return merge_pdfs(parts, _metadata(data))


def _render_cover(data: CertificateData, total: int, cover_pages: int) -> bytes:
    document = _weasy(cover_html(data, total, cover_pages)).render()
    if len(document.pages) != cover_pages:
        raise RenderError("the cover changed length between passes")
    return _write(document)


# --- per-device certificates -----------------------------------------------


def device_html(datas: Sequence[CertificateData], solo: bool) -> str:
    certs = [{
        "data": d,
        "qr": qr_data_uri(d.verify_url),
        "head_left": _head_left(d),
        "head_right": _head_right(d),
        "foot_left": _foot_left(d),
    } for d in datas]
    return _env().get_template("device.html.j2").render(css=_css(), certs=certs, solo=solo)


def _render_device_solo(d: CertificateData) -> bytes:
    return merge_pdfs([_write(_weasy(device_html([d], solo=True)).render())], _metadata(d))


def _render_device_group(
    datas: Sequence[CertificateData], finish: Callable[[bytes, CertificateData], bytes] | None
) -> list[bytes]:
    from pypdf import PdfReader, PdfWriter

    if len(datas) == 1 or any(len(d.lines) > DEVICE_LINES_PER_PAGE for d in datas):
        pdfs = [_render_device_solo(d) for d in datas]
        return [finish(p, d) for p, d in zip(pdfs, datas)] if finish else pdfs
    document = _weasy(device_html(datas, solo=False)).render()
    if len(document.pages) != len(datas):
        # Some certificate overflowed its page: render each alone, numbered.
        pdfs = [_render_device_solo(d) for d in datas]
    else:
        reader = PdfReader(io.BytesIO(_write(document)))
        pdfs = []
        for d, page in zip(datas, reader.pages):
            writer = PdfWriter()
            writer.add_page(page)
            writer.add_metadata(_metadata(d))
            out = io.BytesIO()
            writer.write(out)
            pdfs.append(out.getvalue())
    return [finish(p, d) for p, d in zip(pdfs, datas)] if finish else pdfs


def render_device_pdfs(
    datas: Sequence[CertificateData],
    *,
    workers: int | None = None,
    finish: Callable[[bytes, CertificateData], bytes] | None = None,
) -> list[bytes]:
    """One PDF per certificate, in order. `finish` (e.g. a functools.partial
    of a module-level function) runs in the worker on each (pdf, data), so signing is
    parallel too; it must be picklable."""
    workers = workers or default_workers()
    groups = [datas[i:i + DEVICES_PER_GROUP] for i in range(0, len(datas), DEVICES_PER_GROUP)]
    if workers > 1 and len(groups) > 1:
        pool: Executor = _pool(workers)
        results = list(pool.map(_render_device_group, groups, [finish] * len(groups)))
    else:
        results = [_render_device_group(g, finish) for g in groups]
    return [pdf for group in results for pdf in group]
