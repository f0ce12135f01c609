from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from itad.erasure.nwipe import nist_method_for, parse_nwipe_log, technique_for
from workflows.machine import DeviceFacts, MediumFacts, apply
from workflows.policy import Policy

SAMPLES = Path("/work/shared/samples/erasure")


def sample(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"shared sample {path} not present")
    return path.read_bytes()


# A complete 0.4x-style run, written for these tests from the format description (nwipe-output-format-spec.md).
STARS, DASHES = "*" * 80, "-" * 80
FULL_RUN = f"""\
[2025/07/29 09:00:00]    info: nwipe version 0.38
[2025/07/29 09:00:01]  notice: Found /dev/sda,  ATA    , TOSHIBA MQ01ABD1, 1000 GB, S/N=35H2SCTWS
[2025/07/29 09:00:01]  notice: Found /dev/sdb,  USB    , Kingston DataTraveler 3.0, 16 GB,
                               S/N=
[2025/07/29 09:00:01]  notice: Found /dev/sdc,  ATA    , ST1000DM003-1CH1, 1000 GB, S/N=Z1D5K4AB
[2025/07/29 09:00:01]  notice: Found /dev/sdd,  ATA    , WDC WD5000AAKX, 500 GB, S/N=WCC2EUA12345
[2025/07/29 09:00:02]    info: [GOOD]The host protected area is disabled on /dev/sda
[2025/07/29 09:00:02] warning: [BAD]The host protected area is enabled on /dev/sdc
[2025/07/29 09:00:03]  notice: Initialising Isaac64 prng
[2025/07/29 09:00:03]  notice: Starting pass 1/1, round 1/1, on /dev/sda
[2025/07/29 09:00:03]  notice: Starting pass 1/1, round 1/1, on /dev/sdb
[2025/07/29 09:00:03]  notice: Starting pass 1/1, round 1/1, on /dev/sdc
[2025/07/29 09:00:03]  notice: Starting pass 1/1, round 1/1, on /dev/sdd
[2025/07/29 09:20:00]   error: /dev/sdb: >>> FAILURE! <<<: code 1
[2025/07/29 10:58:15]  notice: Finished final round 1 of 1 on /dev/sda
[2025/07/29 11:01:40]  notice: Finished final round 1 of 1 on /dev/sdc
[2025/07/29 11:02:00]    info: Wipe thread for device /dev/sdd has been cancelled

{STARS[:32]} Error Summary {STARS[:33]}
!   Device | Pass Errors | Verifications Errors | Fdatasync I\\O Errors
{DASHES}
       sda |           0 |                    0 |                    0
!      sdb |           3 |                    0 |                    1
       sdc |           0 |                    0 |                    0
       sdd |           0 |                    0 |                    0
{STARS}

{STARS[:31]} Erasure Summary {STARS[:32]}
!   Device |      Bytes Erased |      Bytes Total | Percentage Erased
{DASHES}
       sda |     1000204886016 |    1000204886016 |           100.00%
!      sdb |        1048576000 |      16008609792 |             6.55%
       sdc |     1000204886016 |    1000204886016 |           100.00%
!      sdd |      400000000000 |     500107862016 |            79.98%
{STARS}

{STARS[:33]} Drive Status {STARS[:33]}
!   Device | Status | Thru-put | HH:MM:SS | Model/Serial Number
{DASHES}
       sda | Erased | 140 MB/s | 01:58:12 | TOSHIBA MQ01ABD1/35H2SCTWS
!      sdb |-FAILED-|  12 MB/s | 00:19:57 | Kingston DataTra/
       sdc | Erased | 141 MB/s | 02:01:37 | ST1000DM003-1CH1/Z1D5K4AB
!      sdd |UABORTED| 135 MB/s | 02:01:57 | WDC WD5000AAKX/WCC2EUA12345
{DASHES}
[2025/07/29 11:02:05] Total Throughput 428 MB/s, PRNG Stream, 1R+B+VL
{STARS}

[2025/07/29 11:02:05]    info: Nwipe exited with errors, check the log & summary table for individual drive status.
"""


def test_full_run_reads_every_drive_with_its_result():
    r = parse_nwipe_log(FULL_RUN)
    assert r.warnings == []
    assert (r.tool, r.version, r.method, r.rounds, r.blanking, r.verification, r.outcome) == \
        ("nwipe", "0.38", "PRNG Stream", 1, True, "Verify Last Pass", "errors")
    assert {d.device: d.result for d in r.drives} == {
        "/dev/sda": "erased", "/dev/sdb": "failed", "/dev/sdc": "erased_with_warning", "/dev/sdd": "cancelled"}


def test_full_run_drive_details_come_from_discovery_tables_and_log_lines():
    sda = parse_nwipe_log(FULL_RUN).drive("sda")
    assert (sda.model, sda.serial, sda.size, sda.bus) == ("TOSHIBA MQ01ABD1", "35H2SCTWS", "1000 GB", "ATA")
    assert (sda.throughput, sda.duration, sda.prng, sda.hidden_areas) == ("140 MB/s", "01:58:12", "Isaac64", "none")
    assert sda.started_at == datetime(2025, 7, 29, 9, 0, 3) and sda.ended_at == datetime(2025, 7, 29, 10, 58, 15)
    assert (sda.bytes_erased, sda.percent_erased) == (1000204886016, "100.00%")
    assert (sda.technique, sda.nist_method) == ("overwrite", "clear")


def test_wrapped_discovery_line_keeps_the_empty_serial():
    sdb = parse_nwipe_log(FULL_RUN).drive("/dev/sdb")
    assert sdb.serial == "" and sdb.model == "Kingston DataTraveler 3.0" and sdb.bus == "USB"
    assert sdb.errors == {"pass": 3, "verify": 0, "sync": 1} and sdb.failure_lines


def test_hpa_left_enabled_makes_erased_with_warning():
    sdc = parse_nwipe_log(FULL_RUN).drive("sdc")
    assert sdc.status == "Erased" and sdc.hidden_areas == "present" and sdc.result == "erased_with_warning"


def test_parsed_drive_feeds_the_workflow_sanitize_step():
    sda = parse_nwipe_log(FULL_RUN).drive("sda")
    device = DeviceFacts(state="received", media=(MediumFacts(1, "hdd"),))
    out = apply(device, "sanitize", "ann", Policy(), medium_id=1, **sda.sanitize_facts("0.38"))
    assert out.to_state == "sanitized" and out.evidence["serial"] == "35H2SCTWS"


def test_failed_drive_from_log_fails_the_medium():
    sdb = parse_nwipe_log(FULL_RUN).drive("sdb")
    device = DeviceFacts(state="received", media=(MediumFacts(1, "flash"),))
    out = apply(device, "sanitize", "ann", Policy(), medium_id=1, **sdb.sanitize_facts())
    assert out.device.media[0].state == "failed"


def test_pr325_single_loop_device_erased_with_empty_serial():
    r = parse_nwipe_log(sample("pr325_loop44_single_drive_2021.log"))
    assert len(r.drives) == 1
    d = r.drives[0]
    assert (d.device, d.model, d.serial, d.result) == ("/dev/loop44", "Loopback device", "", "erased")
    assert (d.throughput, d.duration, d.pass_errors, d.verify_errors, d.sync_errors) == ("31 MB/s", "00:00:01", 0, 0, None)
    assert (d.bytes_written, d.rounds_completed, d.prng) == (31457280, 1, "Isaac")
    assert d.started_at == datetime(2021, 6, 4, 21, 41, 12)
    assert any("Total Throughput line is cut" in w for w in r.warnings)


def test_pr367_four_drives_all_cancelled():
    r = parse_nwipe_log(sample("pr367_four_drives_cancelled_2021.log"))
    assert [d.device for d in r.drives] == ["/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"]
    assert {d.result for d in r.drives} == {"cancelled"}
    assert all(d.errors == {"pass": 0, "verify": 0, "sync": 0} for d in r.drives)
    assert any("cut short" in w for w in r.warnings)


def test_pr559_flags_the_three_drives_with_verification_errors():
    r = parse_nwipe_log(sample("pr559_error_summary_verify_failures.log"))
    assert len(r.drives) == 18
    failed = {d.device: d.verify_errors for d in r.drives if d.result == "failed"}
    assert failed == {"/dev/sde": 244090646, "/dev/sdj": 58607765, "/dev/sdo": 14653925}
    assert all(d.flagged for d in r.drives if d.result == "failed")
    # Zero errors without a Drive Status row is not proof of erasure.
    assert {d.result for d in r.drives if d.result != "failed"} == {"unknown"}
    assert any("fragment" in w for w in r.warnings)


def test_older_format_with_nwipe_prefix_is_read():
    r = parse_nwipe_log("[2016/08/18 10:00:00] nwipe: notice: Starting pass 1/3, round 1/1, on /dev/sdb\n"
                        "[2016/08/18 11:00:00] nwipe: notice: Finished final round 1 of 1 on /dev/sdb\n")
    d = r.drive("sdb")
    assert (d.passes, d.rounds_completed, d.result) == (3, 1, "unknown")


def test_user_abort_message_marks_unfinished_drives_cancelled():
    r = parse_nwipe_log("[2025/01/01 10:00:00]  notice: Starting pass 1/1, round 1/1, on /dev/sda\n"
                        "[2025/01/01 10:05:00]    info: Nwipe was aborted by the user. Check the summary table.\n")
    assert r.outcome == "aborted" and r.drive("sda").result == "cancelled"


def test_cut_last_line_and_cut_discovery_line_are_warned_about():
    r = parse_nwipe_log("[2020/03/18 10:00:00]  notice: Found /dev/sdc, ATA WDC WD1600AAJS-2, 160GB\n"
                        "       sdc |           0 |   ")
    assert r.drive("sdc").model == "ATA WDC WD1600AAJS-2"
    assert any("no S/N" in w for w in r.warnings) and any("last line may be cut" in w for w in r.warnings)


def test_empty_and_garbage_input_give_warnings_not_errors():
    assert parse_nwipe_log("").warnings == ["no drive found in the log"]
    assert parse_nwipe_log(b"\xff\xfe\x00garbage|||\n").drives == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("[]/:|!*-0123456789 abdesvnR+BVL%\n") + [
    "sda", "Erased", "Found ", "/dev/", "S/N=", "[2025/01/01 10:00:00]  notice: ", "Total Throughput ",
    " | ", "-FAILED-", "Error Summary", "\n" + " " * 31]), max_size=120).map("".join))
def test_parser_never_raises_on_arbitrary_text(text):
    report = parse_nwipe_log(text)
    assert isinstance(report.warnings, list)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(FULL_RUN)))
def test_any_cut_of_a_real_run_parses_without_error(cut):
    report = parse_nwipe_log(FULL_RUN[:cut])
    assert all(d.result in {"erased", "erased_with_warning", "failed", "cancelled", "unknown"} for d in report.drives)


def test_method_labels_map_to_overwrite_and_clear():
    assert (technique_for("DoD Short"), nist_method_for("DoD Short")) == ("overwrite", "clear")
    assert (technique_for("Verify Zeros (0x00)"), nist_method_for("Verify Zeros (0x00)")) == ("verify_only", None)
