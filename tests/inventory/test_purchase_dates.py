"""A unit's purchase date, read from its asset list's column as a whole: the order of day and month is decided by
the column's other dates, and a date nothing decides, or that is no purchase date, stays unknown and says why."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from itad.inventory.purchase_dates import read_column, written_in

TODAY = date(2026, 12, 7)
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "asset-lists"


def test_a_snipe_it_export_is_read_month_first_because_its_column_says_so():
    # Snipe-IT's own import sample (it has no serial column, so it is read here as a table, not as a batch).
    with open(SAMPLES / "assets-sample.csv", encoding="utf-8-sig", newline="") as f:
        written = [written_in(row) for row in csv.DictReader(f)]
    assert len(written) == 22 and all(written)
    read = read_column(written, TODAY)
    # "3/1/23" alone could be either; "1/23/23" in the same column can only be month first.
    assert dict(zip(written, (p.day for p in read)))["3/1/23"] == date(2023, 3, 1)
    assert read[written.index("1/23/23")].day == date(2023, 1, 23)
    assert all(p.day is not None and p.why is None for p in read)


def test_a_day_first_column_reads_its_ambiguous_dates_day_first():
    read = read_column(["3/1/23", "23/1/23", None, "05-06-2022"], TODAY)
    assert [p.day for p in read] == [date(2023, 1, 3), date(2023, 1, 23), None, date(2022, 6, 5)]
    assert read[2].written is None and read[2].why is None        # no date given is not a problem


def test_a_date_nothing_decides_stays_unknown_and_says_both_readings():
    [one, two] = read_column(["3/1/23", "5/6/22"], TODAY)
    assert one.day is None and one.written == "3/1/23"
    assert one.why == ("could be 3 January 2023 or 1 March 2023: no date in the column tells whether day or month "
                       "comes first")
    mixed = read_column(["3/1/23", "23/1/23", "1/23/23"], TODAY)
    assert mixed[0].day is None and "both day-first and month-first" in mixed[0].why
    assert mixed[1].day == mixed[2].day == date(2023, 1, 23)


def test_the_forms_lists_are_written_in():
    values = ["2023-01-23 00:00:00", "2023-01-23", "23.01.2023", "Jan 23, 2023", "23 January 2023",
              "Tue Jul  2 10:37:44 2019", "4/4/24"]
    assert [p.day for p in read_column(values, TODAY)] == [date(2023, 1, 23)] * 5 + [date(2019, 7, 2),
                                                                                      date(2024, 4, 4)]


def test_what_is_no_purchase_date_is_unknown_with_the_reason():
    read = read_column(["2030-01-01", "1/1/1900", "13/13/2020", "soon", "2023-02-30"], TODAY)
    assert [p.day for p in read] == [None] * 5
    assert [p.why for p in read] == ["in the future", "before 1980: not a purchase date",
                                     "not a date this server reads", "not a date this server reads",
                                     "not a date this server reads"]


def test_the_column_is_found_under_its_usual_names_and_an_empty_one_is_no_date():
    assert written_in({"Purchase Date": " 1/23/23 "}) == "1/23/23"
    assert written_in({"Date of purchase": "2023-01-23", "Notes": "x"}) == "2023-01-23"
    assert written_in({"Purchase Date": "  "}) is None and written_in(None) is None
    assert written_in({"Registered in": "Tue Jul  2 10:37:44 2019"}) is None   # registered is not bought
