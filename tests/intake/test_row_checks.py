"""Header mapping, each row check, the limits, and the database hook."""

from __future__ import annotations

import ast
import gc
import hashlib
from pathlib import Path

import pytest

from itad.intake.manifest import ManifestRow, NoSerialColumn, TooManyRows, read_manifest


def manifest_of(text: str, **options):
    manifest = read_manifest(text.encode("utf-8"), **options)
    return manifest, list(manifest)


def test_headers_match_whatever_case_spacing_and_punctuation():
    manifest, rows = manifest_of(
        "S/N ;ASSET\u00a0#;make;Model No.;Device-Type;HDD1 SN;Drive 2 Serial;Colour\n"
        "X1;A-1;Dell;7490;Notebook;WD1;WD2;grey\n"
    )
    assert manifest.columns.as_dict()["fields"] == {
        "serial": "S/N", "asset_tag": "ASSET\u00a0#", "manufacturer": "make", "model": "Model No.",
        "category": "Device-Type",
    }
    assert rows[0][1:8] == ("X1", "A-1", "Dell", "7490", "laptop", ("WD1", "WD2"), {"Colour": "grey"})


def test_model_name_wins_over_model_number_which_stays_an_attribute():
    _, rows = manifest_of("Model Number,Serial,Model Name\n5.02E+18,S1,Latitude\n")
    assert rows[0].model == "Latitude" and rows[0].attributes == {"Model Number": "5.02E+18"}


def test_one_drive_serials_column_splits_on_common_separators():
    _, rows = manifest_of('Serial,Drive Serials\nS1,"WD-1; WD-2, S3Z|NV/9  X7"\n')
    assert rows[0].drive_serials == ("WD-1", "WD-2", "S3Z", "NV", "9", "X7")


def test_repeated_headers_first_wins_later_kept_with_suffix_and_unnamed_become_column_n():
    _, rows = manifest_of("Serial,Category,Company,Category,Company,,\nS1,laptop,A,x,B,note,\n")
    assert rows[0].category == "laptop"
    assert rows[0].attributes == {"Company": "A", "Category (2)": "x", "Company (2)": "B", "column 6": "note"}


def test_cells_beyond_the_header_are_kept_and_trailing_empty_cells_ignored():
    _, rows = manifest_of("Serial,Model\nS1,M,,,extra,,\nS2,M,,,\n")
    assert rows[0].attributes == {"column 5": "extra"} and rows[1].attributes == {}


def test_list_without_serial_column_is_refused_with_the_headers_found():
    with pytest.raises(NoSerialColumn) as refused:
        read_manifest(b"Asset Tag;Model;Notes\nA1;M;n\n")
    assert refused.value.headers == ("Asset Tag", "Model", "Notes")
    assert "Headers found: 'Asset Tag', 'Model', 'Notes'." in refused.value.message


def test_header_below_a_title_row_is_found_and_rows_keep_their_numbers():
    manifest, rows = manifest_of("Delivery note 2024-05\n\nSerial;Type\nS1;PC\n")
    assert manifest.columns.header_row == 3 and rows[0].row_number == 4


def test_missing_serial_is_a_problem_on_that_row_and_blank_rows_are_not():
    manifest, rows = manifest_of("Serial,Model\nS1,M\n,\n   ,  \n,M2\n")
    assert [r.serial for r in rows] == ["S1"]
    assert [(p.row, p.column, p.value, p.code) for p in manifest.problems] == [(5, "Serial", "", "missing_serial")]


@pytest.mark.parametrize("value", ["6.37702E+15", "5.02E+18", "3.00525E+13", "6,37702E+15", "1e+12"])
def test_serial_mangled_into_scientific_notation_says_digits_were_lost(value):
    manifest, rows = manifest_of(f'Serial\n"{value}"\nE+12AB\n')
    assert [r.serial for r in rows] == ["E+12AB"]
    (problem,) = manifest.problems
    assert (problem.row, problem.value, problem.code) == (2, value, "scientific_notation")
    assert "digits were lost" in problem.message and "Format the column as Text" in problem.message


def test_serial_repeated_in_the_file_names_the_earlier_row_whatever_the_case():
    manifest, rows = manifest_of("Serial\nAbc-1\nX\nABC-1\nabc-1\n")
    assert [r.serial for r in rows] == ["Abc-1", "X"]  # stored as given, not upper-cased
    assert [(p.row, p.message) for p in manifest.problems] == [
        (4, "Serial ABC-1 appears twice in the file: also on row 2. List each device once."),
        (5, "Serial abc-1 appears twice in the file: also on row 2. List each device once."),
    ]


def test_unknown_category_suggests_the_closest_known_one_and_synonyms_are_mapped():
    manifest, rows = manifest_of(
        "Serial,Type\nS1,Lapotp\nS2,Microtower\nS3,Smartphone\nS4,Access Point\nS5,workstation\nS6,Laptops\n"
    )
    assert [(r.serial, r.category) for r in rows] == [
        ("S2", "desktop"), ("S3", "phone"), ("S4", "network"), ("S5", "desktop"), ("S6", "laptop"),
    ]
    (problem,) = manifest.problems
    assert (problem.row, problem.column, problem.value) == (2, "Type", "Lapotp")
    assert problem.message == "Unknown category 'Lapotp'. Did you mean 'laptop'?"


def test_serial_with_control_character_is_refused_and_surrounding_spaces_are_stripped():
    manifest, rows = manifest_of('Serial\n"  S1  "\n"S\x072"\n')
    assert [r.serial for r in rows] == ["S1"]
    assert [(p.row, p.code) for p in manifest.problems] == [(3, "control_character")]
    assert "U+0007" in manifest.problems[0].message


def test_serial_longer_than_120_characters_is_refused():
    manifest, rows = manifest_of(f"Serial\n{'A' * 120}\n{'B' * 121}\n")
    assert len(rows) == 1
    assert [(p.row, p.code, p.message) for p in manifest.problems] == [
        (3, "too_long", "The value is 121 characters long; at most 120 are allowed.")
    ]


def test_a_bad_drive_serial_refuses_its_row():
    manifest, rows = manifest_of("Serial,HDD Serial\nS1,3.00525E+13\n")
    assert rows == [] and [(p.column, p.code) for p in manifest.problems] == [("HDD Serial", "scientific_notation")]


def test_row_limit_stops_reading_as_soon_as_it_is_passed():
    # Row 400 (past the sniffed head) holds a NUL byte, which the CSV reader would refuse:
    # it is never reached.
    lines = [b"S%d\n" % i for i in range(500)]
    lines[398] = b"S\0\n"
    manifest = read_manifest(b"Serial\n" + b"".join(lines), max_rows=10)
    with pytest.raises(TooManyRows) as stopped:
        manifest.validate()
    assert stopped.value.limit == 10 and "more than 10 device rows" in stopped.value.message
    assert manifest.rows_read == 11


def test_known_serials_hook_is_asked_once_per_chunk_and_refuses_rows_in_open_batches():
    asked = []

    def known_serials(serials):
        asked.append(list(serials))
        return {"S3": "B-2024-007"} if "S3" in serials else {}

    data = "Serial\n" + "".join(f"S{i}\n" for i in range(5))
    manifest = read_manifest(data.encode(), known_serials=known_serials, chunk_size=2)
    chunks = list(manifest.chunks())
    assert asked == [["S0", "S1"], ["S2", "S3"], ["S4"]]
    assert [[ManifestRow(*r).serial for r in c] for c in chunks] == [["S0", "S1"], ["S2"], ["S4"]]
    assert [(p.row, p.code, p.message) for p in manifest.problems] == [
        (5, "serial_in_open_batch",
         "Serial S3 is already registered in open batch B-2024-007. Remove it from this list, or close that batch first.")
    ]
    assert manifest.finished and not manifest.ok and manifest.rows_accepted == 4


def test_rows_held_by_the_bulk_path_rarely_reach_the_collectors_oldest_generation():
    # The bulk path holds a chunk of rows while it is written. Rows the cycle collector still
    # tracks when it promotes them pile up in its oldest generation and make it walk the whole
    # process (see Manifest.chunks); a plain tuple of strings is untracked before that.
    data = ("Serial,Asset Tag,Drive Serial,Cost Centre\n"
            + "".join(f"S{i},T{i},D{i},CC{i % 7}\n" for i in range(30_000))).encode()
    held = [row for chunk in read_manifest(data, chunk_size=5000).chunks() for row in chunk]
    assert held[7] == (9, "S7", "T7", None, None, None, ("D7",), ("Cost Centre", "CC0"))
    ids = {id(row) for row in held}
    promoted = [o for o in gc.get_objects(generation=2) if id(o) in ids]
    # Only a row first looked at by a middle-generation collection (one look in ten) is promoted
    # while what it holds is still tracked; NamedTuple rows were promoted all but every one.
    assert len(promoted) < len(held) // 6


def test_problems_are_all_counted_but_only_the_first_ones_kept():
    manifest, _ = manifest_of("Serial\n" + "\n".join(f"{i % 9 + 1}.{i:02d}E+15" for i in range(30)) + "\n", max_problems=5)
    assert len(manifest.problems) == 5 and manifest.problem_count == 30


def test_sha256_is_of_the_uploaded_bytes():
    data = b"Serial\nS1\n"
    assert read_manifest(data).sha256 == hashlib.sha256(data).hexdigest()


# The app side of intake (service, background job, CLI command, API routes) lives beside the parser.
_DATABASE_SIDE = {"service.py", "loading.py", "jobs.py", "commands.py", "routes.py"}


def test_intake_modules_import_neither_flask_nor_sqlalchemy():
    for path in Path("itad/intake").glob("*.py"):
        if path.name in _DATABASE_SIDE:
            continue
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in names if m.split(".")[0] in {"flask", "sqlalchemy", "flask_sqlalchemy"}}, path


def _peak_rss_growth(run) -> int:
    """Peak resident memory added while run() works (Linux: reset the high-water mark first).

    tracemalloc would be the tidier tool but slows 200,000 rows down ~20x; the kernel's
    high-water mark costs nothing and counts every byte the process really touched."""
    def status(key: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
        raise LookupError(key)

    Path("/proc/self/clear_refs").write_text("5")
    before = status("VmRSS:")
    run()
    return status("VmHWM:") - before


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_two_hundred_thousand_rows_stream_with_memory_well_below_keeping_them():
    data = "".join(
        ["Serial,Asset Tag,Manufacturer,Model,Category,Location,Notes\r\n"]
        + [f"SN{i:09d},AT{i:07d},Dell Inc.,Latitude 7490,Laptop,Madrid building 2,"
           f"spare charger and dock {i}\r\n" for i in range(200_000)]
    ).encode()
    counted = []

    def stream():
        manifest = read_manifest(data)
        counted.append(sum(len(chunk) for chunk in manifest.chunks()))

    growth = _peak_rss_growth(stream)
    assert counted == [200_000]
    # What grows is the index for in-file duplicates (an upper-cased serial and a row number,
    # ~150 bytes a row, ~30 MB here); the rows themselves, each with its attributes dict, are
    # let go chunk by chunk. Kept in a list, these rows take ~180 MB, 9x the file.
    assert growth < 2 * len(data), (growth, len(data))
