"""Reconciliation of a probe result with the batch manifest (pure, no network)."""

from __future__ import annotations

from itad.snmp import ManifestDevice, PhysicalEntity, ProbeResult, StorageEntry, reconcile

BATCH = [ManifestDevice(1, "FOC1408Z61U", "WS-C3560G-48TS-E", "Cisco"), ManifestDevice(2, "JPBCK12345")]


def identified(serial: str | None, **fields) -> ProbeResult:
    return ProbeResult(host="10.1.1.1", ok=True, chassis_serial=serial, **fields)


def test_serial_matching_ignores_case_and_surrounding_spaces():
    outcome = reconcile(identified("  foc1408z61u "), BATCH)
    assert (outcome.outcome, outcome.device_id) == ("confirmed", 1)


def test_probe_aimed_at_the_right_device_is_confirmed():
    assert reconcile(identified("JPBCK12345"), BATCH, expected_device_id=2).outcome == "confirmed"


def test_probe_aimed_at_one_device_finding_another_is_a_mismatch_naming_both():
    outcome = reconcile(identified("JPBCK12345"), BATCH, expected_device_id=1)
    assert outcome.outcome == "mismatch"
    assert (outcome.expected_device_id, outcome.expected_serial) == (1, "FOC1408Z61U")
    assert (outcome.reported_serial, outcome.device_id) == ("JPBCK12345", 2)


def test_serial_outside_the_batch_is_unexpected():
    outcome = reconcile(identified("ZZZ999"), BATCH)
    assert (outcome.outcome, outcome.device_id, outcome.reported_serial) == ("unexpected", None, "ZZZ999")


def test_blank_manifest_serials_never_match():
    assert reconcile(identified("X1"), [ManifestDevice(5, "  ")]).outcome == "unexpected"


def test_failed_probe_or_missing_serial_is_unidentified_with_the_reason():
    failed = ProbeResult(host="10.1.1.2", ok=False, error="no response within 2 s (1 retries)")
    assert reconcile(failed, BATCH).outcome == "unidentified"
    assert "no response" in reconcile(failed, BATCH).message
    assert "no serial" in reconcile(identified(None), BATCH).message


def test_file_systems_count_as_media_only_when_no_physical_disk_was_reported():
    areas = [StorageEntry(1, "hrStorage", "fixedDisk", "/", size_bytes=10), StorageEntry(2, "hrStorage", "ram")]
    alone = reconcile(identified("X"), BATCH).media
    assert alone == []
    only_fs = reconcile(identified("X", storage=areas), BATCH).media
    assert [(m.source, m.type, m.size_bytes) for m in only_fs] == [("hrStorage", "fixedDisk", 10)]
    with_disk = areas + [StorageEntry(3, "hrDisk", "hardDisk", "ATA disk", size_bytes=20)]
    assert [m.source for m in reconcile(identified("X", storage=with_disk), BATCH).media] == ["hrDisk"]


def test_entity_mib_storage_drives_are_media_with_their_serial():
    drive = PhysicalEntity(9, "storageDrive", descr="SSD bay 1", serial="S3Z9NB0K", model_name="MZ7LH480")
    media = reconcile(identified("X", entities=[drive]), BATCH).media
    assert [(m.type, m.serial, m.descr) for m in media] == [("storageDrive", "S3Z9NB0K", "MZ7LH480")]
