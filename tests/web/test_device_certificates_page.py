"""The client's batch page offers a certificate per device and the ZIP of them all."""

from __future__ import annotations

import io
import zipfile

from tests.certification.conftest import bench, closed, signing_key  # noqa: F401  (fixtures)


def test_the_portal_offers_the_certificates_and_the_zip(closed, world, as_user):
    page = as_user(world.acme.user)
    url = f"/batches/{closed.batch.id}"
    assert "Issue a certificate for each of the 2 device(s)" in page.text(url)
    page.post(f"{url}/device-certificates")
    text = page.text(url)
    assert "2 device certificate(s) in force" in text and "Download all (ZIP of signed PDFs)" in text
    r = page.get(f"{url}/device-certificates.zip")
    assert r.status_code == 200 and len(zipfile.ZipFile(io.BytesIO(r.data)).namelist()) == 5
