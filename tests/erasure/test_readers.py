"""Each reader on its tool's real output (tests/samples/erasure, SOURCE.txt): the verdict says only what the
file proves, and the line that shows it is kept."""

from __future__ import annotations

import pytest

from itad.erasure.reading import UnknownFormat, detect, read_report
from tests.samples import SAMPLES

ERASURE = SAMPLES / "erasure"


def sample(name: str) -> str:
    return (ERASURE / name).read_text(encoding="utf-8")


def only(report):
    assert len(report.drives) == 1, report.drives
    return report.drives[0]


@pytest.mark.parametrize("name, kind", [
    ("blancco/constructed_two_erasures.xml", "blancco"), ("erase-sectors-2-hdd.snapshot.yaml", "workbench"),
    ("openseachest/issue112_sanitize_started_2023.txt", "openseachest"),
    ("nvme/issue3027_sanitize_log_in_progress_2025.txt", "nvme"), ("nvme/issue2028_nvme_list_2023.txt", "nvme"),
    ("hdparm/tkperf29_security_frozen_2018.txt", "hdparm"), ("hdparm/wdpassport19_security_sg_io_error_2017.txt", "hdparm"),
    ("issue8_old_format_2016.log", "nwipe"), ("pr559_error_summary_verify_failures.log", "nwipe"),
    ("shredos332_drive_found_2025.log", "nwipe"),
])
def test_the_format_is_recognised_from_the_content(name, kind):
    assert detect(sample(name)) == kind


def test_a_file_of_no_known_format_is_refused_by_name():
    with pytest.raises(UnknownFormat, match="nwipe or ShredOS log, Blancco XML"):
        read_report(b"Name,Serial\nlaptop,123\n")


# ---------------------------------------------------------------- nvme-cli

def test_an_nvme_sanitize_still_in_progress_is_incomplete_with_its_progress():
    drive = only(read_report(sample("nvme/issue3027_sanitize_log_in_progress_2025.txt")))
    assert drive.outcome == "incomplete"
    assert "still in progress (1.0% done, SPROG 655)" in drive.reason
    assert drive.line.startswith("Sanitize Status") and drive.line.endswith("0x2")
    assert drive.technique == "block_erase"                 # SCDW10 0x2


def test_a_stuck_crypto_sanitize_is_never_erased():
    drive = only(read_report(sample("nvme/issue1784_sanitize_log_stuck_2023.txt")))
    assert (drive.outcome, drive.technique) == ("incomplete", "crypto_erase")


@pytest.mark.parametrize("name", ["nvme/issue752_sanitize_log_completed_2020.txt",
                                  "nvme/libnvme979_sanitize_log_completed_2025.txt"])
def test_a_completed_sanitize_log_is_an_erase(name):
    drive = only(read_report(sample(name)))
    assert drive.outcome == "erased" and drive.line.endswith("0x101")
    assert drive.evidence["global_data_erased"] is True and drive.media_type == "nvme"


def test_nvme_list_gives_the_drive_its_serial_model_and_capacity():
    text = sample("nvme/libnvme108_nvme_list_2022.txt") + "\n$ nvme sanitize-log /dev/nvme0n1\n" + \
        sample("nvme/libnvme979_sanitize_log_completed_2025.txt")
    drive = only(read_report(text))
    assert (drive.serial, drive.model, drive.capacity_bytes) == ("49MA23BZK03N", "KXG60ZNV512G NVMe TOSHIBA 512GB",
                                                                 512_110_000_000)
    assert drive.outcome == "erased"


def test_a_format_proves_an_erase_only_with_a_secure_erase_setting():
    plain = only(read_report(sample("nvme/issue1897_format_success_2023.txt")))
    assert plain.outcome == "incomplete" and "Secure Erase Setting" in plain.reason
    crypto = only(read_report("$ nvme format /dev/nvme0n1 --ses=2\n" + sample("nvme/issue1897_format_success_2023.txt")))
    assert (crypto.outcome, crypto.technique) == ("erased", "crypto_erase")


def test_an_nvme_error_status_is_a_failure_with_its_line():
    drive = only(read_report(sample("nvme/issue816_format_invalid_2020.txt")))
    assert drive.outcome == "failed" and drive.line.startswith("NVMe status: INVALID_FORMAT")


def test_a_list_alone_shows_no_erase():
    report = read_report(sample("nvme/issue2028_nvme_list_2023.txt"))
    assert report.drives == [] and "no erase shown" in report.warnings[0]


# ---------------------------------------------------------------- hdparm

IDENTITY = "hdparm/issue444_identify_st10000nm0016_2023.txt"


def _erase(*, after: str | None, error: str | None = None, enhanced: bool = False) -> str:
    flag = "--security-erase-enhanced" if enhanced else "--security-erase"
    text = sample(IDENTITY) + sample("hdparm/tkperf29_security_frozen_2018.txt").replace("\t\tfrozen", "\tnot\tfrozen")
    text += (f"\n# hdparm --user-master u {flag} passw0rd /dev/sdb\nsecurity_password: \"passw0rd\"\n\n/dev/sdb:\n"
             " Issuing SECURITY_ERASE command, password=\"passw0rd\", user=user\n")
    if error:
        text += error + "\n"
    if after:
        text += "\n/dev/sdb:\n\n" + after
    return text


def test_a_frozen_drive_is_incomplete_and_says_why():
    drive = only(read_report(sample("hdparm/tkperf29_security_frozen_2018.txt")))
    assert drive.outcome == "incomplete" and "frozen" in drive.reason
    assert drive.evidence["security_before"]["frozen"] is True


def test_an_identity_gives_serial_model_capacity_and_type():
    ssd = only(read_report(sample("hdparm/nixpkgs40282_identify_samsung_ssd_2018.txt")))
    assert (ssd.serial, ssd.model, ssd.capacity_bytes, ssd.media_type) == (
        "S20GNAAGC27797", "SAMSUNG MZNLN256HCHP-000L7", 256_060_000_000, "ssd")
    hdd = only(read_report(sample(IDENTITY)))
    assert (hdd.media_type, hdd.outcome, hdd.reason) == ("hdd", "incomplete", "the transcript shows no SECURITY ERASE")


def test_an_erase_confirmed_by_the_security_state_after_it_is_erased():
    after = "Security: \n\tMaster password revision code = 65534\n\t\tsupported\n\tnot\tenabled\n\tnot\tlocked\n\tnot\tfrozen\n"
    drive = only(read_report(_erase(after=after, enhanced=True)))
    assert (drive.outcome, drive.serial, drive.technique) == ("erased", "ZA20SSAR", "secure_erase")
    assert drive.line.startswith("Issuing SECURITY_ERASE") and drive.evidence["enhanced"] is True


def test_an_erase_without_a_state_after_it_is_only_erased_with_a_warning():
    drive = only(read_report(_erase(after=None)))
    assert drive.outcome == "erased_with_warning" and "no `hdparm -I` after the erase" in drive.reason


def test_an_erase_the_drive_refused_is_failed_with_the_sg_io_line():
    refused = sample("hdparm/wdpassport19_security_sg_io_error_2017.txt").splitlines()[5]
    drive = only(read_report(_erase(after=None, error=refused)))
    assert drive.outcome == "failed" and drive.line.startswith("SG_IO: bad/missing sense data")


def test_an_erase_with_security_still_enabled_after_it_failed():
    after = "Security: \n\t\tsupported\n\t\tenabled\n\tnot\tlocked\n"
    assert only(read_report(_erase(after=after))).outcome == "failed"


# ---------------------------------------------------------------- openSeaChest

def test_a_sanitize_started_without_poll_is_incomplete():
    report = read_report(sample("openseachest/issue112_sanitize_started_2023.txt"))
    drive = only(report)
    assert (drive.outcome, drive.model, drive.device) == ("incomplete", "ST12000NM0008-2H3101", "/dev/sg3")
    assert report.version == "4.1.0-5_0_0" and "printed no serial" in report.warnings[0]


def test_a_failed_sanitize_is_failed():
    drive = only(read_report(sample("openseachest/issue48_sanitize_failed_2021.txt")))
    assert (drive.outcome, drive.line) == ("failed", "Sanitize command failed!")


def test_a_polled_sanitize_that_passed_is_erased_and_an_overwrite_must_cover_the_drive():
    passed = sample("openseachest/issue112_sanitize_started_2023.txt").replace(
        "Starting Sanitize Overwrite Erase\nSanitize command has been started. Use the --progress sanitize option\n"
        "to check for progress.", "Starting Sanitize Crypto Scramble\nSanitize command passed!")
    drive = only(read_report(passed))
    assert (drive.outcome, drive.technique) == ("erased", "crypto_erase")
    partial = only(read_report("openSeaChest_Erase Version: 4.1.0\nSuccessfully overwrote LBAs 0 to 1000\n"))
    assert partial.outcome == "erased_with_warning" and "last LBA" in partial.reason
    whole = only(read_report("openSeaChest_Erase\n  MaxLBA: 1000\nSuccessfully overwrote LBAs 0 to 1000\n"))
    assert (whole.outcome, whole.method) == ("erased", "clear")


# ---------------------------------------------------------------- Blancco

def test_blancco_erasures_give_each_target_drive_with_its_state():
    report = read_report(sample("blancco/constructed_two_erasures.xml"))
    assert (report.tool, report.version) == ("Blancco Drive Eraser", "7.9.0")
    ok, failed = report.drives
    assert (ok.outcome, ok.serial, ok.capacity_bytes, ok.media_type, ok.passes) == (
        "erased", "WD-WCC4N1234567", 1_000_204_886_016, "hdd", 1)
    assert (failed.outcome, failed.technique, failed.method) == ("failed", "firmware_sanitize", "purge")
    assert "Drive did not respond" in failed.reason and failed.line == 'state="Failed"'


def test_a_blancco_erasure_without_a_state_proves_nothing():
    text = sample("blancco/constructed_two_erasures.xml").replace(
        '<entry name="state" type="string">Successful</entry>', "")
    assert read_report(text).drives[0].outcome == "incomplete"


def test_a_blancco_report_with_a_dtd_is_not_expanded():
    text = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]>\n<root><report><blancco_data>'
            '</blancco_data></report></root>')
    report = read_report(text)
    assert report.drives == [] and "not a readable XML report" in report.warnings[0]


# ---------------------------------------------------------------- nwipe, every format since 2016

def test_the_2016_format_is_one_drive_whose_end_the_log_does_not_show():
    drive = only(read_report(sample("issue8_old_format_2016.log")))
    assert (drive.device, drive.outcome, drive.passes) == ("/dev/sdb", "incomplete", 1)


def test_write_errors_are_a_failure_with_the_first_error_line():
    drive = only(read_report(sample("pr722_write_io_errors_2026.log")))
    assert drive.outcome == "failed" and "write() failed on '/dev/sdc'" in drive.line


def test_a_serial_cut_at_the_terminal_width_is_marked_truncated():
    report = read_report(sample("pr223_truncated_serial_80col_2020.log"))
    drive = only(report)
    assert (drive.serial, drive.serial_truncated) == ("W", True)
    assert "may be cut short" in report.warnings[0]


def test_shredos_gives_its_release_and_the_nwipe_version():
    report = read_report(sample("shredos332_drive_found_2025.log"))
    assert (report.tool, report.version) == ("nwipe (ShredOS v2024.11_27_x86-64)", "0.38")
    assert only(report).serial_truncated is False       # a long line that wrapped, not a cut one


def test_verification_failures_fail_their_drives():
    report = read_report(sample("pr559_error_summary_verify_failures.log"))
    assert sum(d.outcome == "failed" for d in report.drives) == 3
