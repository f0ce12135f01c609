"""The asset list's drive columns: type, make, model and capacity, for the row's drive or the Nth one, stored on
each listed drive; what no drive can take, or that says nothing readable, is kept as written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.intake.headers import header_key, drive_fact
from itad.intake.manifest import read_manifest
from itad.models import Device, StorageMedium
from tests.intake.test_intake_api import csv_bytes, upload
from workflows.media import capacity_bytes, media_type


def rows_of(*lines: str):
    return list(read_manifest(csv_bytes(*lines)))


@pytest.mark.parametrize("header, expected", [
    ("Drive Type", (0, "type", None)), ("HDD/SSD", (0, "type", None)), ("Storage Type", (0, "type", None)),
    ("Disk Model", (0, "model", None)), ("Capacity (GB)", (0, "capacity", "gb")),
    ("Drive 2 Model", (2, "model", None)), ("DataStorage 1 Manufacturer", (1, "make", None)),
    ("Drive 1", (1, "describe", None)), ("Data Storage Size (MB)", (0, "capacity", "mb")),
    ("Model", None), ("Type", None), ("Drive 1 Serial", None),
])
def test_drive_fact_headers_are_recognised(header, expected):
    assert drive_fact(header_key(header)) == expected


@pytest.mark.parametrize("text, size", [("512GB", 512 * 10**9), ("1 TB", 10**12), ("500107862016", 500107862016),
                                        ("931.5 GiB", 1000190509056), ("1,000,204,886,016", 1000204886016),
                                        ("512", None), ("lots", None), ("0", None)])
def test_sizes_are_read_as_drive_makers_write_them(text, size):
    assert capacity_bytes(text) == size


def test_a_bare_number_takes_the_unit_its_header_gives():
    assert capacity_bytes("256", unit="gb") == 256 * 10**9


@pytest.mark.parametrize("text, kind", [("SSD", "ssd"), ("HDD", "hdd"), ("Solid State Device", "ssd"),
                                        ("NVMe", "nvme"), ("7200 rpm", "hdd"), ("eMMC", "flash"), ("Tape", None)])
def test_drive_types_are_read_from_the_words_people_use(text, kind):
    assert media_type(text) == kind


def test_the_rows_drive_takes_the_unnumbered_facts():
    (row,) = rows_of("Serial,Drive Serial,Drive Type,Disk Model,Drive Manufacturer,Capacity (GB)",
                     "L1,S3Z8NB0K123,SSD,PM9A1,Samsung,512")
    assert row.drives == (("S3Z8NB0K123", "ssd", "Samsung", "PM9A1", 512 * 10**9),)
    assert row.drive_serials == ("S3Z8NB0K123",) and row.attributes == {}


def test_numbered_facts_go_to_their_drive_and_a_description_is_read():
    (row,) = rows_of("Serial,Drive 1 Serial,Drive 2 Serial,Drive 1,Drive 2 Model,Drive 2 Capacity (TB)",
                     "S1,D-1,D-2,512GB SSD,WD Blue,1")
    assert row.drives == (("D-1", "ssd", None, None, 512 * 10**9), ("D-2", None, None, "WD Blue", 10**12))


def test_a_type_for_several_drives_goes_to_each_but_one_capacity_does_not():
    (row,) = rows_of("Serial,Drive Serials,HDD/SSD,Capacity", "S1,\"D-1, D-2\",HDD,1 TB")
    assert row.drives == (("D-1", "hdd", None, None, None), ("D-2", "hdd", None, None, None))
    assert row.attributes == {"Capacity": "1 TB"}           # which drive's? kept as written


def test_facts_no_drive_can_take_or_that_say_nothing_are_kept_as_written():
    rows = rows_of("Serial,Drive Serial,Drive Type,Capacity,Drive 3 Model",
                   "S1,,SSD,512GB,X",            # no drive serial listed
                   "S2,D-2,Tape,512,Y")          # unreadable type and size; no third drive
    assert rows[0].drives == () and rows[0].attributes == {"Drive Type": "SSD", "Capacity": "512GB",
                                                           "Drive 3 Model": "X"}
    assert rows[1].drives == (("D-2", None, None, None, None),)
    assert rows[1].attributes == {"Drive Type": "Tape", "Capacity": "512", "Drive 3 Model": "Y"}


def test_the_column_map_shows_how_drive_columns_were_understood():
    manifest = read_manifest(csv_bytes("Serial,Drive Serial,HDD/SSD,Capacity (GB)", "S1,D1,SSD,256"))
    assert manifest.columns.as_dict()["drive_facts"] == {"HDD/SSD": "drive type", "Capacity (GB)": "drive capacity"}


def test_an_uploaded_list_stores_each_drives_facts(client, world, session):
    data = csv_bytes("Serial,Drive 1 Serial,Drive 2 Serial,Drive 1 Type,Drive 1 Capacity,Drive 2,Disk Model",
                     "L-1,S3Z8NB0K1,WD-2,NVMe,512GB,1 TB HDD,",
                     "L-2,S3Z8NB0K2,,SSD,256 GB,,Samsung 870 EVO",
                     "L-3,PLAIN,,,,,")
    response = upload(client, world.acme, data)
    assert response.status_code == 201, response.get_json()
    media = {m.serial: m for m in session.scalars(sa.select(StorageMedium).join(Device).where(
        Device.batch_id == response.get_json()["batch"]["id"]))}
    assert {s: (m.media_type, m.model, m.capacity_bytes) for s, m in media.items()} == {
        "S3Z8NB0K1": ("nvme", None, 512 * 10**9), "WD-2": ("hdd", None, 10**12),
        "S3Z8NB0K2": ("ssd", "Samsung 870 EVO", 256 * 10**9), "PLAIN": ("unknown", None, None)}


def test_a_labelled_size_and_a_counted_one_name_the_same_drive_within_a_percent():
    from workflows.media import same_capacity

    assert same_capacity(1000 * 10**9, 1_000_204_886_016) and same_capacity(512 * 10**9, 512_110_190_592)
    assert not same_capacity(500 * 10**9, 512 * 10**9) and not same_capacity(10**12, 500_107_862_016)
