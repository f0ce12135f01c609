"""Certificate data -> PDF, fast enough for 10,000-device batches (bench/certificates.py).

How a batch certificate is built:
1. the cover (header, parties, summary, exceptions, attestation, QR) comes
   from the HTML template through WeasyPrint; it is laid out once, assuming
   one page, and again only when the missing/unexpected lists make it longer;
2. the per-medium records are drawn straight into PDF content streams
   (sheets.py): laid out first (a long value wraps, so rows differ in height),
   so the page count, and "Page X of Y", is known before anything is drawn,
   and drawing is fast enough that no process pool is needed (bench/README.md);
3. the two are concatenated with pypdf and the certificate number written
   into the document information (/Subject, /CertificateNumber) so a
   verifier can read it back.

Per-device certificates fill a frame laid out once per process from
device_frame.html.j2 (device_page.py), in a process pool with signing. Those
the frame cannot hold (more media than its rows) are laid out in full from
device.html.j2, many to a WeasyPrint document and split afterwards.
"""

from __future__ import annotations

import atexit
import io
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import jinja2
import segno

from . import device_page, sheets
from .data import METHOD_TYPES, CertificateData

TEMPLATES = Path(__file__).parent / "templates"
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
    return [(m, n) for m, n in counts.items() if n]


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


# --- PDF -------------------------------------------------------------------


def _weasy(html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES))


def _write(document) -> bytes:
    return document.write_pdf()


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


def render_pdf(data: CertificateData) -> bytes:
    """The unsigned certificate PDF, rendered in this process."""
    lines = data.lines
    plan = sheets.layout(lines)
    n_sheets = len(plan.pages)

    # The cover's length depends on the missing/unexpected lists; nearly
    # always one page. Guess one, and lay it out again only when wrong (the
    # total only changes footer strings, never the cover's length).
    cover_pages = 1
    cover = _weasy(cover_html(data, cover_pages + n_sheets, cover_pages)).render()
    if len(cover.pages) != cover_pages:
        cover_pages = len(cover.pages)
        cover = _weasy(cover_html(data, cover_pages + n_sheets, cover_pages)).render()
        if len(cover.pages) != cover_pages:
            raise RenderError("the cover changed length between passes")
    total = cover_pages + n_sheets
    parts = [_write(cover)]
    if lines:
        text = sheets.SheetText(_head_left(data), _head_right(data), _foot_left(data))
        # Drawn in this process: sending the lines to a pool and back costs more than drawing them.
        streams, chars = sheets.draw_sheets(lines, plan, cover_pages + 1, total, text)
        parts.append(sheets.sheets_pdf(streams, chars, {}))
    return merge_pdfs(parts, _metadata(data))


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


def _render_device_html(datas: Sequence[CertificateData]) -> list[bytes]:
    """Device certificates the frame cannot hold, laid out in full."""
    from pypdf import PdfReader, PdfWriter

    if not datas:
        return []
    if len(datas) == 1 or any(len(d.lines) > DEVICE_LINES_PER_PAGE for d in datas):
        return [_render_device_solo(d) for d in datas]
    document = _weasy(device_html(datas, solo=False)).render()
    if len(document.pages) != len(datas):
        # Some certificate overflowed its page: render each alone, numbered.
        return [_render_device_solo(d) for d in datas]
    reader = PdfReader(io.BytesIO(_write(document)))
    pdfs = []
    for d, page in zip(datas, reader.pages):
        writer = PdfWriter()
        writer.add_page(page)
        writer.add_metadata(_metadata(d))
        out = io.BytesIO()
        writer.write(out)
        pdfs.append(out.getvalue())
    return pdfs


def _render_device_group(
    datas: Sequence[CertificateData], finish: Callable[[bytes, CertificateData], bytes] | None
) -> list[bytes]:
    head = {id(d): (_head_left(d), _head_right(d), _foot_left(d)) for d in datas}
    pdfs = [device_page.device_pdf(d, head[id(d)], _metadata(d)) if device_page.fits(d) else None for d in datas]
    # What the frame cannot hold whole (more media than its rows, a value longer than its slot).
    laid_out = iter(_render_device_html([d for d, p in zip(datas, pdfs) if p is None]))
    pdfs = [p if p is not None else next(laid_out) for p in pdfs]
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
        device_page.frame(False)  # laid out before the fork, inherited by new workers
        pool: Executor = _pool(workers)
        results = list(pool.map(_render_device_group, groups, [finish] * len(groups)))
    else:
        results = [_render_device_group(g, finish) for g in groups]
    return [pdf for group in results for pdf in group]
