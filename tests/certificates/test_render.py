"""What the certificate shows, and that a person can read it."""

import io
import subprocess

from pypdf import PdfReader

from certificates import to_json
from certificates.specimen import specimen_devices
from certificates import render_device_pdfs
from tests.conftest import ARTIFACTS


def test_json_has_one_entry_per_medium_in_a_stable_order(batch_data):
    doc = to_json(batch_data)
    assert len(doc["lines"]) == len(batch_data.lines)
    devices = {l.device_serial for l in batch_data.lines}
    assert len(doc["lines"]) > len(devices)  # some devices carry two media
    assert list(doc)[:4] == ["schema", "number", "kind", "issued_at"]
    assert to_json(batch_data) == doc
    assert doc["summary"]["missing_serials"] == list(batch_data.summary.missing_serials)


def test_every_medium_serial_is_printed_in_the_pdf(signed_batch, batch_data):
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(signed_batch)).pages)
    for line in batch_data.lines:
        assert line.medium_serial in text
    for serial in batch_data.summary.missing_serials:
        assert serial in text


def test_per_device_certificates_are_one_pdf_each_with_their_own_number():
    devices = specimen_devices(4)
    pdfs = render_device_pdfs(devices, workers=1)
    assert len(pdfs) == len(devices)
    for data, pdf in zip(devices, pdfs):
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.metadata["/CertificateNumber"] == data.number
        assert data.lines[0].device_serial in reader.pages[0].extract_text()


def test_first_page_renders_to_png_for_a_person_to_look_at(signed_batch):
    out = ARTIFACTS
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / "certificate.pdf"
    pdf.write_bytes(signed_batch)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(out / "certificate-page1")], check=True)
    assert (out / "certificate-page1.png").stat().st_size > 10_000
