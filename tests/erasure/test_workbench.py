from datetime import datetime, timezone
from pathlib import Path

import pytest

from itad.erasure.workbench import parse_workbench_snapshot

SNAPSHOT = Path("/work/shared/samples/erasure/erase-sectors-2-hdd.snapshot.yaml")


@pytest.fixture
def snapshot():
    if not SNAPSHOT.exists():
        pytest.skip("shared sample not present")
    return parse_workbench_snapshot(SNAPSHOT.read_bytes())


def test_snapshot_lists_both_hard_drives_erased_by_overwrite(snapshot):
    assert (snapshot.software, snapshot.version, snapshot.device_type) == ("Workbench", "11.0a3", "Desktop")
    assert [s.serial for s in snapshot.storage] == ["WD-WCAV29008961", "WD-WCAV27984668"]
    assert {(s.erasure, s.technique, s.nist_method, s.result) for s in snapshot.storage} == \
        {("EraseBasic", "overwrite", "clear", "erased")}


def test_snapshot_keeps_times_steps_and_smart_status(snapshot):
    first = snapshot.storage[0]
    assert first.steps == ["StepRandom"] and first.media_type == "hdd"
    assert first.started_at == datetime(2018, 7, 13, 10, 52, 45, 92612, tzinfo=timezone.utc)
    assert first.smart_status == "Completed: read failure"


def test_error_severity_is_a_failed_erasure():
    text = '{"components": [{"type": "SolidStateDrive", "serialNumber": "S1", "actions": ' \
           '[{"type": "EraseSectors", "severity": "Error", "steps": []}]}]}'
    (ssd,) = parse_workbench_snapshot(text).storage
    assert (ssd.media_type, ssd.result) == ("ssd", "failed")


def test_unreadable_snapshot_gives_a_warning():
    report = parse_workbench_snapshot("{not: [valid")
    assert report.storage == [] and report.warnings
