"""Grading schemes as data: the first rule that holds gives the grade, and the answer says why each better grade
was missed; a scheme that names a check it does not have is refused."""

from __future__ import annotations

import pytest

from workflows.grading import DEFAULT_SCHEMES, SchemeError, check_scheme, derive

PHONE = DEFAULT_SCHEMES["phone"]
ALL_WORK = {c["key"]: True for c in PHONE["checks"] if c.get("kind", "pass") == "pass"}


def test_a_phone_with_every_check_passed_and_a_strong_battery_is_a():
    assert derive(PHONE, "A", {**ALL_WORK, "battery_health": 91}) == ("A", [])


def test_a_weak_battery_takes_a_flawless_phone_down_and_says_why():
    grade, missed = derive(PHONE, "A", {**ALL_WORK, "battery_health": 82})
    assert grade == "B" and missed == ["A needs battery_health at least 85 (was 82)"]


def test_a_failed_check_gives_the_floor_grade_naming_the_check():
    grade, missed = derive(PHONE, "A", {**ALL_WORK, "cameras": False, "battery_health": 95})
    assert grade == "D" and all("failed: cameras" in m for m in missed)


def test_every_check_must_be_recorded():
    with pytest.raises(SchemeError, match="missing: battery_health"):
        derive(PHONE, "A", ALL_WORK)


def test_a_scheme_naming_an_unknown_check_is_refused():
    with pytest.raises(SchemeError, match="min names no check: battery"):
        check_scheme({"checks": [{"key": "boots"}], "rules": [{"grade": "A", "min": {"battery": 80}}, {"grade": "D"}]})
