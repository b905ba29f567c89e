"""Nothing later on any page: no briefing names a figure, outlook or event that was public
only after its date (the strings are generated from the data rows, see tests/leaks.py)."""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from kit import data

from .leaks import as_of_of, forbidden, leaks

# Oracle's company-level note as it stood before notes were dated: it names the FY2026
# actual and the FY2027 outlook, both public on 2026-06-10, on every page of every date.
ORACLE_NOTE = ("Oracle's capital expenditures are its purchases of property and equipment (its "
               "FY2026 actual of about $55.7 billion, as reported with its FY2027 outlook, "
               "matches the XBRL figure)")


@pytest.fixture(scope="module")
def strings():
    return {lang: forbidden(lang=lang) for lang in ("en", "de")}


def test_the_strings_come_from_the_rows_with_their_first_public_date(strings):
    en = strings["en"]
    assert en["2024-04-24"] == pd.Timestamp("2024-04-24")  # Meta's Q1 2024 release
    assert en["$35–40 billion"] == pd.Timestamp("2024-04-24")  # the seed story's outlook
    assert en["$95 billion"] == pd.Timestamp("2026-06-10")  # Oracle's FY2027 "up to"
    assert en["2,389M"] == pd.Timestamp("2025-11-10")  # CoreWeave's Q3 2025 purchases
    assert en["$55.7 billion"] == pd.Timestamp("2024-07-30")  # first in a Microsoft statement
    assert strings["de"]["24.04.2024"] == pd.Timestamp("2024-04-24")


@pytest.mark.slow
def test_no_archive_briefing_names_anything_public_after_its_date(archive_reports, strings):
    pages = sorted(archive_reports.glob("*-????-??-??.html"))
    assert len(pages) >= 200
    found = [line for page in pages for line in leaks(page, strings["en"], as_of_of(page))]
    assert found == []


@pytest.mark.slow
def test_no_german_briefing_names_anything_public_after_its_date(german_reports, strings):
    pages = sorted(german_reports.glob("*-????-??-??.de.html"))
    assert len(pages) == 2
    found = [line for page in pages for line in leaks(page, strings["de"], as_of_of(page))]
    assert found == []


@pytest.mark.slow
def test_the_scanner_catches_oracles_note_as_it_was_before_notes_were_dated(tmp_path, strings):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    companies = pd.read_csv(folder / "companies.csv", dtype=str, keep_default_na=False)
    companies.loc[companies["ticker"] == "ORCL", "guidance_basis_note"] = ORACLE_NOTE
    companies.to_csv(folder / "companies.csv", index=False, lineterminator="\n")
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "--as-of",
                          "2024-04-25", "--out", str(tmp_path / "reports"), "--no-progress"],
                         capture_output=True, text=True,
                         env={**os.environ, "KIT_DATA_DIR": str(folder)})
    assert res.returncode == 0, res.stderr[-2000:]
    page = tmp_path / "reports" / "META-2024-04-25.html"
    found = leaks(page, strings["en"], as_of_of(page))
    assert len(found) == 1 and "'$55.7 billion' (public 2024-07-30)" in found[0]
    assert "FY2026 actual of about $55.7 billion" in found[0]
