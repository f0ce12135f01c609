"""The batch export a client's asset system imports: every device and drive with its final disposition,
the same in CSV and XLSX, its certificate's number, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from itad.batches.export import COLUMNS
from itad.models import Device
from tests.certification.conftest import bench, close_a_batch, signing_key  # noqa: F401 (fixtures)


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_closed_batch_exports_each_device_with_its_outcome_wipe_and_certificate(
        session, world, bench, signing_key, as_user):  # noqa: F811
    closed = close_a_batch(session, world, bench)
    acme = as_user(world.acme.user)
    r = acme.get(f"/batches/{closed.batch.id}/export.csv")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    lines = {row["Serial"]: row for row in _csv(r.get_data(as_text=True))}
    assert set(lines) == {closed.cleared.serial, closed.destroyed.serial, closed.missing.serial}
    cleared = lines[closed.cleared.serial]
    assert cleared["Outcome"] == "cleared for resale" and cleared["Grade"] == "A"
    assert (cleared["Wipe method"], cleared["Wipe technique"], cleared["Tool"], cleared["Wipe result"]) == \
        ("Purge", "Cryptographic erase", "nwipe", "erased")
    assert cleared["Verification"] == "passed" and cleared["Verified by"] == world.tech2.user.name
    assert cleared["Drive serial"] == closed.cleared.media[0].serial and cleared["Received (UTC)"]
    assert cleared["Certificate"] == closed.certificate.number and cleared["Certificate status"] == "in force"
    destroyed = lines[closed.destroyed.serial]
    assert destroyed["Outcome"] == "destroyed" and destroyed["Destruction technique"] == "Shred"
    missing = lines[closed.missing.serial]
    assert missing["Outcome"] == "missing (never received)" and missing["Wipe result"] == "" \
        and missing["Received (UTC)"] == ""

    # The workbook holds the same rows.
    x = acme.get(f"/batches/{closed.batch.id}/export.xlsx")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(x.data)).active
    values = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert tuple(values[0]) == COLUMNS
    assert sorted(values[1:]) == sorted([list(row.values()) for row in lines.values()])


def test_another_clients_export_is_a_404(session, world, bench, signing_key, as_user):  # noqa: F811
    closed = close_a_batch(session, world, bench)
    for kind in ("csv", "xlsx"):
        assert as_user(world.globex.user).get(f"/batches/{closed.batch.id}/export.{kind}").status_code == 404


def test_a_value_that_looks_like_a_formula_stays_text_in_both_formats(session, world, as_user):
    from tests.factories import make_batch

    batch = make_batch(session, world.acme.org, reference="ACME-FORMULA", devices=1)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id))
    device.model = '=HYPERLINK("http://evil.example/","x")'
    session.commit()
    acme = as_user(world.acme.user)
    [row] = _csv(acme.get(f"/batches/{batch.id}/export.csv").get_data(as_text=True))
    assert row["Model"] == "'" + device.model
    sheet = load_workbook(io.BytesIO(acme.get(f"/batches/{batch.id}/export.xlsx").data)).active
    cell = sheet.cell(row=2, column=COLUMNS.index("Model") + 1)
    assert cell.value == device.model and cell.data_type == "s"
