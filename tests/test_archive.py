"""The archive (`kit render --every-release`): a briefing per company per release, an index
of time lines, and renders only where a briefing's inputs changed."""

import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kit import archive, data

pytestmark = pytest.mark.slow
TICKERS = sorted(data.load_companies()["ticker"])


def kit(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kit.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


def stems(folder):
    return {p.stem for p in folder.glob("*-*.html")}


def test_every_release_has_its_briefing_as_of_the_session_after_it(archive_reports):
    dates, waiting = archive.release_dates(TICKERS)
    assert waiting == {}
    rel = data.load_earnings_releases()
    assert len(dates) == len(rel.drop_duplicates(["ticker", "release_date"]))
    soup = BeautifulSoup((archive_reports / "index.html").read_text(), "html.parser")
    rendered = stems(archive_reports)
    for ticker, day, release in dates:
        stem = f"{ticker}-{day:%Y-%m-%d}"
        assert day > release and day - release <= pd.Timedelta(days=4), stem  # after close
        first = data.load_financials().query("ticker == @ticker")["published_date"].min()
        assert (stem in rendered) == (day >= first), stem  # else: nothing public yet
    # Meta's Q1 2024 release (after the close on 2024-04-24) -> the seed briefing's date
    assert ("META", pd.Timestamp("2024-04-25"), pd.Timestamp("2024-04-24")) in dates
    assert not list(archive_reports.glob("*.failed.ipynb"))
    assert len(rendered) > 180
    unrendered = [r for r in soup.select("section.timeline tr") if "not rendered" in r.text]
    assert len(unrendered) == len(dates) - len(rendered)
    assert all("no " in r.text and "figures in the data were public" in r.text
               for r in unrendered)


def test_every_archive_page_is_offline_and_carries_its_fingerprint(archive_reports):
    for path in sorted(archive_reports.glob("*-*.html")):
        head = path.read_text()[:archive.STAMP_BYTES]
        assert "default-src 'none'" in head, path.name
        found, figures = archive.read_stamp(path)
        assert found and figures and figures["ticker"] == path.stem.split("-")[0], path.name
        assert figures["as_of"] == path.stem.split("-", 1)[1]
    seed = archive_reports / "META-2024-04-25.html"
    doc = seed.read_text()
    assert f"Render fingerprint {archive.read_stamp(seed)[0]}" in doc
    assert 'src="http' not in doc and "<link" not in doc


def test_the_index_has_a_time_line_per_company_with_the_moves(archive_reports):
    soup = BeautifulSoup((archive_reports / "index.html").read_text(), "html.parser")
    sections = soup.select("section.timeline")
    assert sorted(s["id"] for s in sections) == TICKERS
    dates, _ = archive.release_dates(TICKERS)
    for s in sections:
        rows = s.select("tbody tr")
        assert len(rows) == sum(t == s["id"] for t, _, _ in dates), s["id"]
        for a in s.find_all("a"):
            assert (archive_reports / a["href"]).is_file()
    meta = soup.find("section", id="META")
    row = next(r for r in meta.select("tbody tr") if "2024-04-25" in r.text)
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0] == "2024-04-24" and cells[1] == "2024-04-25" and cells[2] == "FY24 Q1"
    assert cells[3] == "$6.72 billion" and "against FY23 Q4" in cells[4]
    assert "FY2024: $35–40 billion" in cells[6] and "raised from $30–37 billion" in cells[6]
    assert cells[7].startswith("-10.6 %")


def test_a_second_run_with_nothing_changed_renders_nothing(archive_reports):
    before = {p.name: p.stat().st_mtime_ns for p in archive_reports.glob("*-*.html")}
    res = kit("render", "--every-release", "--out", str(archive_reports), "--no-progress")
    assert res.returncode == 0, res.stderr
    assert " s)" not in res.stdout  # no briefing rendered
    assert f"{len(before)} briefing(s) up to date" in res.stderr
    assert {p.name: p.stat().st_mtime_ns for p in archive_reports.glob("*-*.html")} == before


def test_a_new_quarter_renders_again_only_the_briefings_that_can_see_it(archive_reports,
                                                                          tmp_path):
    """Meta's latest quarter taken out of the data, then put back (as `kit data refresh`
    would add it): only briefings dated when it or its calendar quarter was public change."""
    fin = data.load_financials()
    meta = fin[fin["ticker"] == "META"]
    latest = meta[meta["period_end_date"] == meta["period_end_date"].max()]
    public = latest["published_date"].min()
    quarter = (latest["calendar_year"].iloc[0], latest["calendar_quarter"].iloc[0])
    window = fin[(fin["calendar_year"] == quarter[0]) & (fin["calendar_quarter"] == quarter[1])
                 ]["published_date"].min()  # when any company first published that quarter
    older = tmp_path / "data"
    shutil.copytree(data.data_dir(), older)
    lines = (older / "financials.csv").read_text().splitlines(keepends=True)
    keep = [lines[0]] + [line for i, line in enumerate(lines[1:]) if i not in latest.index]
    assert len(keep) == len(lines) - len(latest)
    (older / "financials.csv").write_text("".join(keep))
    out = tmp_path / "reports"
    shutil.copytree(archive_reports, out)  # pages and the notebooks kept beside them
    every = stems(out)
    days = {s: pd.Timestamp(s.split("-", 1)[1]) for s in every}
    for env in ({"KIT_DATA_DIR": str(older)}, {}):  # without the quarter, then with it
        before = {p.stem: p.stat().st_mtime_ns for p in out.glob("*-*.html")}
        res = kit("render", "--every-release", "--out", str(out), "--no-progress", env=env)
        assert res.returncode == 0, res.stderr
        again = {m[1] for m in re.finditer(r"^([A-Z]+-[\d-]+): .* s\)$", res.stdout, re.M)}
        changed = {s for s in every if out.joinpath(f"{s}.html").stat().st_mtime_ns != before[s]}
        assert again == changed
        assert {s for s in every if days[s] >= public} <= again  # every one that sees it
        assert all(days[s] >= window for s in again)  # and none from before its quarter
        assert len(again) < len(every) / 10


def test_up_to_date_is_said_and_force_renders_anyway(tmp_path):
    args = ("render", "META", "--as-of", "2024-04-25", "--out", str(tmp_path), "--no-progress")
    assert kit(*args).returncode == 0
    page = tmp_path / "META-2024-04-25.html"
    first = page.stat().st_mtime_ns
    res = kit(*args)
    assert res.returncode == 0 and "is up to date" in res.stderr
    assert page.stat().st_mtime_ns == first
    res = kit(*args, "--force")
    assert res.returncode == 0 and "up to date" not in res.stderr
    assert page.stat().st_mtime_ns != first


def test_a_fingerprint_covers_notebook_parameters_and_only_the_visible_data():
    from kit import render
    source, _ = render.check_notebook(None)
    day, later = pd.Timestamp("2023-02-02"), pd.Timestamp("2026-05-01")
    a, b = render.jobs_for(source, [("META", day), ("MSFT", day)])
    assert a.fingerprint != b.fingerprint  # parameters
    edited = {**source, "cells": source["cells"][:-1]}
    assert render.jobs_for(edited, [("META", day)])[0].fingerprint != a.fingerprint
    digests = archive.data_digests([day, later])
    assert digests[day] != digests[later]
    assert archive.data_digest(day) == digests[day]


def test_the_command_line_checks_the_archive_options(tmp_path):
    res = kit("render", "--every-release", "--as-of", "2024-04-25", "--out", str(tmp_path))
    assert res.returncode == 2 and "leave out --as-of" in res.stderr
    res = kit("render", "META", "--since", "2024-01-01", "--out", str(tmp_path))
    assert res.returncode == 2 and "--since goes with --every-release" in res.stderr
    res = kit("render", "--every-release", "--since", "2024-13-01", "--out", str(tmp_path))
    assert res.returncode == 2 and "2024-13-01" in res.stderr
    assert not list(tmp_path.iterdir())


def test_a_page_cut_short_or_edited_is_known_as_damaged(archive_reports, tmp_path):
    seed = archive_reports / "META-2024-04-25.html"
    assert archive.damaged(seed) is None
    text = seed.read_text()
    for size in (1024, 70 * 1024, 200 * 1024):
        cut = tmp_path / f"cut-{size}.html"
        cut.write_bytes(seed.read_bytes()[:size])
        assert archive.damaged(cut), size
    assert "$6.72 billion" in text  # the seed's Q1 2024 capex including finance leases
    edited = tmp_path / "edited.html"
    edited.write_text(text.replace("$6.72 billion", "$9.99 billion", 1))
    assert archive.read_stamp(edited) == archive.read_stamp(seed)  # the head is unchanged
    assert "does not match its content hash" in archive.damaged(edited)
    assert archive.damaged(tmp_path / "gone.html") == "missing"
    notebook = seed.with_suffix(".ipynb")  # the executed notebook kept beside it: the same
    assert archive.damaged(notebook) is None
    cut = tmp_path / "cut.ipynb"
    cut.write_bytes(notebook.read_bytes()[:-2000])
    assert "content hash" in archive.damaged(cut)
    edited = tmp_path / "edited.ipynb"
    edited.write_text(notebook.read_text().replace("6.72", "9.99", 1))
    assert "does not match its content hash" in archive.damaged(edited)


@pytest.mark.slow
def test_a_damaged_page_is_rendered_again_and_the_run_says_why(archive_reports, tmp_path):
    page = tmp_path / "META-2024-04-25.html"
    page.write_bytes((archive_reports / page.name).read_bytes()[:70 * 1024])
    shutil.copy(archive_reports / "META-2024-04-25.ipynb", tmp_path)
    res = kit("render", "META", "--as-of", "2024-04-25", "--out", str(tmp_path),
              "--no-progress")
    assert res.returncode == 0, res.stderr
    assert f"{page}: rendered again: it carries no content hash" in res.stderr \
        or f"{page}: rendered again: its text does not match" in res.stderr
    assert archive.damaged(page) is None and page.stat().st_size > 500_000
    batch = kit("render", "META", "MSFT", "--as-of", "2024-04-25", "--out", str(tmp_path),
                "--no-progress")  # a batch: the same check
    assert batch.returncode == 0 and ": rendered again:" not in batch.stderr
    page.with_suffix(".ipynb").unlink()  # the executed notebook kept beside it, deleted
    again = kit("render", "META", "MSFT", "--as-of", "2024-04-25", "--out", str(tmp_path),
                "--no-progress")
    assert again.returncode == 0
    assert "META: rendered again: its executed notebook is missing" in again.stderr
    assert page.with_suffix(".ipynb").is_file()
    notebook = page.with_suffix(".ipynb")
    notebook.write_text(notebook.read_text().replace("6.72", "9.99", 1))  # a figure edited
    edited = kit("render", "META", "MSFT", "--as-of", "2024-04-25", "--out", str(tmp_path),
                 "--no-progress")
    assert edited.returncode == 0
    assert ("META: rendered again: its executed notebook: its text does not match its "
            "content hash") in edited.stderr
    assert archive.damaged(notebook) is None


def test_what_a_killed_run_left_behind_is_removed_by_the_next_run_and_no_one_elses(
        archive_reports, tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # a finished pid
    out, temp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    temp.mkdir()
    for name in ("META-2024-04-25.html", "META-2024-04-25.ipynb"):  # up to date: no kernel
        shutil.copy(archive_reports / name, out)
    dead = [out / f".tmp-{gone}-abc.html", temp / f"kit-kernel-{gone}-x1",
            temp / f"kit-worker-{gone}-x2"]
    alive = [out / f".tmp-{os.getpid()}-def.html", temp / f"kit-kernel-{os.getpid()}-y",
             temp / "kit-kernel-nopid", out / "notes.txt"]
    for path in dead + alive:
        path.mkdir() if "kit-" in path.name else path.write_text("x")
    res = kit("render", "META", "--as-of", "2024-04-25", "--out", str(out), "--no-progress",
              env={"TMPDIR": str(temp)})
    assert res.returncode == 0 and "is up to date" in res.stderr, res.stderr
    assert not any(p.exists() for p in dead)
    assert all(p.exists() for p in alive)


def _linked_rows(index):
    """The index's rows that link a briefing: {file: the row's text}."""
    soup = BeautifulSoup(index.read_text(), "html.parser")
    return {r.find("a")["href"]: r.get_text(" ", strip=True)
            for r in soup.select("tbody tr") if r.find("a")}


def test_a_partial_batch_after_a_full_one_keeps_every_briefing_on_the_index(archive_reports,
                                                                             tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(archive_reports, out)
    full = _linked_rows(out / "index.html")
    cut = out / max(k for k in full if k.startswith("AAPL-"))  # damaged since; the latest,
    # so that no row's move depends on it
    cut.write_bytes(cut.read_bytes()[:70 * 1024])
    res = kit("render", "--every-release", "MSFT", "--since", "2026-07-01", "--out", str(out),
              "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "1 briefing(s) up to date" in res.stderr  # the batch was MSFT's latest release
    soup = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    assert [s["id"] for s in soup.select("section.timeline")][0] == "MSFT"  # the batch first
    assert sorted(s["id"] for s in soup.select("section.timeline")) == TICKERS
    assert _linked_rows(out / "index.html") == {k: v for k, v in full.items() if k != cut.name}
    row = next(r for r in soup.select("tbody tr") if cut.stem.split("-", 1)[1] in r.text
               and r.find_parent("section")["id"] == cut.stem.split("-")[0])
    assert "damaged: cut short or edited since the kit wrote it" in row.text
    assert "One briefing per earnings release" in soup.get_text()
