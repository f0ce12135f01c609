"""Phones in an asset list: an IMEI or MEID column is kept as written and checked; a wrong one is a row problem
that names the row, the column and why (its digit count, or its check digit)."""

from __future__ import annotations

from itad.intake.manifest import read_manifest


def _problems(text: str):
    manifest = read_manifest(text.encode())
    list(manifest)
    return manifest, manifest.problems


def test_a_good_imei_and_meid_are_kept_as_attributes():
    manifest, problems = _problems("Serial,Model,Category,IMEI/MEID,Colour\n"
                                   "P1,iPhone 12,Phone,35-209900-176148-1,Blue\nP2,Galaxy,Phone,A10000009296F2,Black\n")
    rows = list(read_manifest(b"Serial,IMEI\nP1,490154203237518\n"))
    assert problems == [] and rows[0].attributes == {"IMEI": "490154203237518"}


def test_a_wrong_check_digit_and_a_short_imei_are_row_problems_saying_why():
    _, problems = _problems("Serial,Model,IMEI\nP1,iPhone 12,490154203237517\nP2,iPhone 12,3520990017614\n"
                            "P3,iPhone 12,\n")
    assert [(p.row, p.column, p.code) for p in problems] == [(2, "IMEI", "invalid_imei"), (3, "IMEI", "invalid_imei")]
    assert "check digit" in problems[0].message and "13 digits; an IMEI has 15" in problems[1].message


def test_a_bad_imei_keeps_the_whole_list_from_registering(session, world):
    import pytest

    from itad.errors import Invalid
    from itad.intake import service

    with pytest.raises(Invalid) as refused:
        service.register_batch(session, organization=world.acme.org, actor=world.acme.user, reference="PO-IMEI",
                               data=b"Serial,IMEI\nP1,490154203237517\n", filename="p.csv", max_rows=10)
    assert refused.value.details["problems"][0]["column"] == "IMEI"
