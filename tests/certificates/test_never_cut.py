"""A certificate never cuts a value short: a value wider than its column wraps in its row, and a device
certificate whose value would not fit the frame's slot is laid out in full instead. Read from outside
our code, by poppler's pdftotext: per column on the batch's record pages (a crop of the page), and whole
on a device certificate."""

from __future__ import annotations

import dataclasses
import subprocess

from certificates import render_device_pdfs, render_pdf
from certificates.columns import COLUMNS
from certificates.sheets import LEFT, PAGE_H
from certificates.pdfdraw import MM
from certificates.specimen import specimen_batch, specimen_devices

LONG_TAGS = ["ACME-2026-EMEA-LONDON-CANARYWHARF-000123", "ACME/2026/FINANCE/TRADING-FLOOR/DESK-0042-A"]
LONG_MODELS = ["Latitude 7440 Ultralight 14-inch Business Laptop (Intel Core i7-1365U vPro, 32 GB)",
               "ThinkPad X1 Carbon Gen 11 Type 21HM 2023 Enterprise Edition"]
LONG_NOTE = "customer asked for the chassis to be returned after destruction of the drive; ticket INC0012345"


def _pdftotext(pdf: bytes, tmp_path, *crop: str, name: str = "cert.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *crop, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _column_text(pdf: bytes, tmp_path, title: str) -> str:
    """The text pdftotext finds inside one column of the record pages (all pages; the cover's
    text falls in the same strip too, so values are looked for in order, not alone)."""
    x = LEFT
    for column in COLUMNS:
        if column.title == title:
            break
        x += column.width_mm * MM
    width = column.width_mm * MM
    return _pdftotext(pdf, tmp_path, "-x", str(int(x)), "-y", "0", "-W", str(int(width)), "-H", str(int(PAGE_H)),
                      "-r", "72", name="column.pdf")


def _contains_in_order(haystack: str, needles: list[str]) -> bool:
    at = 0
    for needle in needles:
        found = haystack.find(needle, at)
        if found < 0:
            return False
        at = found + len(needle)
    return True


def test_long_asset_tags_models_and_notes_are_printed_whole_on_the_batch_record_pages(tmp_path):
    data = specimen_batch(60)
    lines = [dataclasses.replace(line, asset_tag=LONG_TAGS[k % 2], model=LONG_MODELS[k % 2],
                                 notes=LONG_NOTE if k % 3 == 0 else line.notes)
             for k, line in enumerate(data.lines)]
    pdf = render_pdf(dataclasses.replace(data, lines=tuple(lines)))

    assert "…" not in _pdftotext(pdf, tmp_path)
    for title, value in (("Asset tag", lambda l: l.asset_tag), ("Make / model", lambda l: f"{l.make} {l.model}"),
                         ("Notes", lambda l: l.notes)):
        column = _squeezed(_column_text(pdf, tmp_path, title))
        wanted = [_squeezed(value(line)) for line in lines if value(line).strip()]
        assert _contains_in_order(column, wanted), f"{title}: a value is not printed whole"


def test_a_device_certificate_whose_values_overflow_the_frame_is_laid_out_whole(tmp_path):
    devices = specimen_devices(2)
    long = [dataclasses.replace(line, asset_tag=LONG_TAGS[0], model=LONG_MODELS[0], notes=LONG_NOTE)
            for line in devices[0].lines]
    devices[0] = dataclasses.replace(devices[0], lines=tuple(long))
    pdfs = render_device_pdfs(devices, workers=1)
    text = _pdftotext(pdfs[0], tmp_path)
    assert "…" not in text
    squeezed = _squeezed(text)
    for value in (LONG_TAGS[0], LONG_MODELS[0], LONG_NOTE):
        assert _squeezed(value) in squeezed, value
    # The other device, whose values fit, still comes from the frame, and whole too.
    other = _squeezed(_pdftotext(pdfs[1], tmp_path, name="other.pdf"))
    for line in devices[1].lines:
        assert _squeezed(line.medium_serial) in other


def test_a_drives_make_model_and_capacity_are_printed_beside_its_serial_and_carried_in_the_json(tmp_path):
    from certificates import to_json

    data = specimen_batch(4)
    lines = [dataclasses.replace(line, medium_make="Samsung", medium_model="PM9A1 MZVL2512HCJQ",
                                 capacity_bytes=512110190592) for line in data.lines]
    data = dataclasses.replace(data, lines=tuple(lines))
    column = _squeezed(_column_text(render_pdf(data), tmp_path, "Drive"))
    wanted = [_squeezed(f"{line.medium_serial} · Samsung PM9A1 MZVL2512HCJQ · 512 GB") for line in lines
              if line.medium_serial]
    assert _contains_in_order(column, wanted)
    first = to_json(data)["lines"][0]
    assert (first["medium_make"], first["medium_model"], first["capacity_bytes"]) == \
        ("Samsung", "PM9A1 MZVL2512HCJQ", 512110190592)
