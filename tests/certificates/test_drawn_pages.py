"""Pages drawn without the layout engine: media record sheets and per-device
certificates filled into a frame. They must read, extract and sign like the
laid-out ones."""

import dataclasses
import io
import subprocess

from pypdf import PdfReader

from certificates import issue_device_pdfs, render_device_pdfs, render_pdf, verify_pdf
from certificates.specimen import specimen_batch, specimen_devices


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_non_latin_values_are_printed_as_themselves_in_the_media_sheets():
    data = specimen_batch(3)
    first = dataclasses.replace(data.lines[0], performed_by="Łukasz Żółć", medium_serial="ЖД-0042")
    text = _text(render_pdf(dataclasses.replace(data, lines=(first, *data.lines[1:]))))
    assert "Łukasz Żółć" in text and "ЖД-0042" in text


def test_a_device_certificate_from_the_frame_carries_its_own_values_and_page_1_of_1():
    devices = specimen_devices(3)
    for data, pdf in zip(devices, render_device_pdfs(devices, workers=1)):
        text = _text(pdf)
        assert data.number in text and "Page 1 of 1" in text
        for line in data.lines:
            assert line.medium_serial in text
        assert data.performer.name in text and data.validator.name in text


def test_a_signed_device_certificate_passes_pdfsig_over_the_whole_file(tmp_path, identity_a, passphrase):
    key, cert = identity_a
    pdfs = issue_device_pdfs(specimen_devices(2), key, cert, passphrase, workers=1)
    path = tmp_path / "device.pdf"
    path.write_bytes(pdfs[1])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in out and "Total document signed" in out
    assert verify_pdf(pdfs[1], [cert]).valid


def test_a_device_with_more_media_than_the_frame_holds_is_laid_out_in_full():
    device = specimen_devices(1)[0]
    many = tuple(dataclasses.replace(device.lines[0], medium_serial=f"X{k:04d}") for k in range(12))
    data = dataclasses.replace(device, lines=many)
    (pdf,) = render_device_pdfs([data], workers=1)
    text = _text(pdf)
    assert all(f"X{k:04d}" in text for k in range(12))
    assert PdfReader(io.BytesIO(pdf)).metadata["/CertificateNumber"] == data.number


def test_a_superseding_device_certificate_says_what_it_supersedes():
    data = dataclasses.replace(specimen_devices(1)[0], supersedes="COS-2025-D999999")
    (pdf,) = render_device_pdfs([data], workers=1)
    assert "supersedes certificate No. COS-2025-D999999" in _text(pdf)


def test_a_cover_longer_than_one_page_still_numbers_every_page_of_the_whole():
    data = specimen_batch(60, missing=3000)  # the missing serials push the cover past a page
    reader = PdfReader(io.BytesIO(render_pdf(data)))
    total = len(reader.pages)
    assert total > 3
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {total}" in page.extract_text()
