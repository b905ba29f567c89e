"""`kit data add TICKER` from SEC filings, replayed from real recorded SEC documents served by
a local server, and adding a company offline with one CSV row."""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest

from kit import data, paths, periods
from kit.sources import pipeline
from tests import replay

AGENT = "Kit Tests kit-tests@example.com"
SNOW, MUR, NVDA, MRVL = "0001640147", "0000717423", "0001045810", "0001835632"


LPA = "0001997711"  # Logistic Properties of the Americas: IFRS, 20-F only
NOCAPEX, NOREV = "0009000001", "0009000002"  # Murphy Oil's document without capex, revenue


@pytest.fixture(scope="module")
def sec_server(sources_dir, tmp_path_factory):
    """SEC's documents at SEC's paths: the ticker table, companyfacts of Snowflake, Murphy
    Oil, Nvidia and Marvell, the submissions of the last three (Snowflake's are not
    recorded: 404); the IFRS filer LPA (its row added to a copy of the table, which predates
    its listing), and Murphy Oil's document without its capex concepts (NOCAPEX) or without
    its revenue concepts (NOREV). A path in `fail` answers 500."""
    from kit.sources.companyfacts import CONCEPTS
    folder = tmp_path_factory.mktemp("sec")
    table = json.loads((sources_dir / "sec_company_tickers" / "company_tickers.json").read_text())
    for i, (cik, ticker, title) in enumerate([(LPA, "LPA", "Logistic Properties of the Americas"),
                                              (NOCAPEX, "NOCAPEX", "No Capex Test"),
                                              (NOREV, "NOREV", "No Revenue Test")]):
        table[f"extra{i}"] = {"cik_str": int(cik), "ticker": ticker, "title": title}
    (folder / "company_tickers.json").write_text(json.dumps(table))
    docs = {"/files/company_tickers.json": folder / "company_tickers.json",
            f"/api/xbrl/companyfacts/CIK{LPA}.json":
            sources_dir / "sec_companyfacts" / f"CIK{LPA}.json"}
    for cik, metrics in ((NOCAPEX, ["purchases_of_property_and_equipment"]),
                         (NOREV, ["revenue"])):
        doc = json.loads((sources_dir / "sec_companyfacts" / f"CIK{MUR}.json").read_text())
        doc["cik"] = int(cik)
        for concept in (c for m in metrics for cs in CONCEPTS[m] for c in cs.split("+")):
            doc["facts"]["us-gaap"].pop(concept, None)
        (folder / f"CIK{cik}.json").write_text(json.dumps(doc))
        docs[f"/api/xbrl/companyfacts/CIK{cik}.json"] = folder / f"CIK{cik}.json"
    for cik in (SNOW, MUR, NVDA, MRVL):
        docs[f"/api/xbrl/companyfacts/CIK{cik}.json"] = \
            sources_dir / "sec_companyfacts" / f"CIK{cik}.json"
    for cik in (MUR, NVDA, MRVL):
        docs[f"/submissions/CIK{cik}.json"] = sources_dir / "sec_submissions" / f"CIK{cik}.json"
    state: dict = {}
    httpd = replay.serve(docs, state)
    yield state
    httpd.shutdown()


def kit(*args, env):
    return subprocess.run([sys.executable, "-m", "kit", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def added(sec_server, sources_dir, tmp_path_factory):
    """A copy of the shipped data with SNOW (and its prices file), MUR and MRVL added."""
    folder = tmp_path_factory.mktemp("added")
    shutil.copytree(paths.shipped("data"), folder / "data")
    (folder / "data" / paths.MARKER).touch()
    env = dict(os.environ, KIT_DATA_DIR=str(folder / "data"), KIT_SEC_USER_AGENT=AGENT,
               KIT_SEC_BASE_URL=sec_server["url"], KIT_CACHE_DIR=str(folder / "cache"))
    snow = kit("data", "add", "SNOW", "--prices",
               str(sources_dir / "prices_recent" / "SNOW.csv"), env=env)
    mur = kit("data", "add", "mur", env=env)
    mrvl = kit("data", "add", "MRVL", env=env)
    for done in (snow, mur, mrvl):
        assert done.returncode == 0, done.stderr
    return dict(env=env, dir=folder / "data", snow=snow, mur=mur, tmp=folder)


def test_every_request_goes_to_the_server_with_sec_paths_and_the_user_agent(added, sec_server):
    paths_seen = {p for p, _ in sec_server["seen"]}
    assert {"/files/company_tickers.json", f"/api/xbrl/companyfacts/CIK{SNOW}.json",
            f"/submissions/CIK{SNOW}.json", f"/api/xbrl/companyfacts/CIK{MUR}.json",
            f"/submissions/CIK{MUR}.json"} <= paths_seen
    assert {agent for _, agent in sec_server["seen"]} == {AGENT}


def test_added_companies_are_rows_marked_as_added_from_sec(added):
    companies = data.load_table("companies", added["dir"]).set_index("ticker")
    assert companies.at["SNOW", "added_from"] == "sec"
    assert companies.at["MUR", "cik"] == MUR
    assert companies.at["SNOW", "fiscal_year_end"] == "01-31"  # inferred from period ends
    assert companies.at["MUR", "fiscal_year_end"] == "12-31"
    assert companies["added_from"].notna().sum() == 3  # the nine stay rows of additions/


def test_a_missing_submissions_document_adds_the_company_and_says_so(added):
    assert "no submissions document" in added["snow"].stderr
    rel = data.load_table("earnings_releases", added["dir"])
    assert rel[rel["ticker"] == "SNOW"].empty
    fin = data.load_table("financials", added["dir"])
    snow = fin[fin["ticker"] == "SNOW"]
    assert len(snow) and (snow["published_basis"] == "filing").all()
    assert (snow["published_date"] == snow["source_filed_date"]).all()


def _frames(doc):
    """{(start, end): (year, quarter)} of every quarterly SEC frame (CY####Q#) of `doc`."""
    out = {}
    for concepts in doc["facts"].values():
        for body in concepts.values():
            for facts in body["units"].values():
                for f in facts:
                    m = re.fullmatch(r"CY(\d{4})Q(\d)", f.get("frame", ""))
                    if m and "start" in f:
                        out[(pd.Timestamp(f["start"]), pd.Timestamp(f["end"]))] = \
                            (int(m[1]), int(m[2]))
    return out


@pytest.mark.parametrize("ticker, cik", [("SNOW", SNOW), ("MUR", MUR), ("MRVL", MRVL)])
def test_calendar_quarters_agree_with_every_sec_frame(added, sources_dir, ticker, cik):
    doc = json.loads((sources_dir / "sec_companyfacts" / f"CIK{cik}.json").read_text())
    frames = _frames(doc)
    fin = data.load_table("financials", added["dir"])
    fin = fin[fin["ticker"] == ticker]
    checked = 0
    for r in fin.itertuples():
        key = (r.period_start_date, r.period_end_date)
        if key in frames:
            assert (r.calendar_year, r.calendar_quarter) == frames[key], key
            checked += 1
    assert checked >= 20


def test_mur_releases_are_its_last_item_2_02_filing_before_each_report_timed_in_eastern(
        added, sources_dir):
    doc = json.loads((sources_dir / "sec_submissions" / f"CIK{MUR}.json").read_text())
    recent = doc["filings"]["recent"]
    accepted = {datetime.fromisoformat(t[:19]).date(): t[11:16]
                for form, items, t in zip(recent["form"], recent["items"],
                                          recent["acceptanceDateTime"])
                if form == "8-K" and "2.02" in items.split(",")}
    rel = data.load_table("earnings_releases", added["dir"])
    rel = rel[rel["ticker"] == "MUR"]
    assert len(rel) >= 18  # every quarter from 2018 to 2022 Q2
    for r in rel.itertuples():
        day = r.release_date.date()
        assert day in accepted  # Murphy's document is in US Eastern time: dates as written
        assert r.source_id == "sec_submissions"
        assert r.source_url.startswith("https://www.sec.gov/Archives/edgar/data/717423/")
        if r.timing_basis == "filing_time":
            clock = accepted[day]
            assert r.timing == ("before_open" if clock < "09:30" else
                                "after_close" if clock >= "16:00" else "during_session")
            assert "read as US Eastern" in r.note
        else:  # read as UTC it fits its filing date too, with another time of day
            assert pd.isna(r.timing) and "time not stated" in r.note
    # 2020-05-06 19:18 (US Eastern, though written with a Z; dated 2020-05-07 by SEC):
    # after the close that day
    may = rel[rel["release_date"] == "2020-05-06"]
    assert list(may["timing"]) == ["after_close"]


def test_mur_capex_follows_its_concepts_and_names_them(added):
    fin = data.load_table("financials", added["dir"])
    capex = fin[(fin["ticker"] == "MUR")
                & (fin["metric"] == "purchases_of_property_and_equipment")]
    by_year = capex.groupby(capex["period_end_date"].dt.year)["source_detail"].first()
    assert "PaymentsToAcquireProductiveAssets" in by_year[2019]
    assert "PaymentsToAcquireOilAndGasEquipment" in by_year[2021]
    assert "PaymentsToAcquireOtherProductiveAssets" in by_year[2021]
    assert (capex["value_usd"] > 0).all()


def test_the_summed_concepts_reconcile_with_the_one_they_replace(sources_dir):
    """Where Murphy Oil reports both, ProductiveAssets = OilAndGasEquipment + Other (2019)."""
    gaap = json.loads((sources_dir / "sec_companyfacts" / f"CIK{MUR}.json").read_text()
                      )["facts"]["us-gaap"]

    def year(concept):
        return {f["val"] for f in gaap[concept]["units"]["USD"]
                if f["start"] == "2019-01-01" and f["end"] == "2019-12-31"}

    total, = year("PaymentsToAcquireProductiveAssets")
    parts = max(year("PaymentsToAcquireOilAndGasEquipment")) + \
        max(year("PaymentsToAcquireOtherProductiveAssets"))
    assert abs(total - parts) < 0.5e6


def test_marvell_years_end_on_the_saturday_nearest_31_january_and_match_sec(added,
                                                                              sources_dir):
    """Marvell's fiscal years end 2024-02-03, 2025-02-01, 2026-01-31: the kit infers the
    calendar, labels its quarters as Marvell does, and every quarterly SEC frame of its capex
    and revenue concepts (SEC's latest value for the period) equals the kit's latest value
    for that quarter (within the kit's rounding: later filings restate in tenths of a
    million)."""
    from kit.schema import ROUNDING_USD
    companies = data.load_table("companies", added["dir"]).set_index("ticker")
    assert companies.at["MRVL", "fiscal_year_end"] == "nearest-Sat-01/Q4"
    fin = data.load_table("financials", added["dir"])
    mrvl = fin[fin["ticker"] == "MRVL"].sort_values("published_date")
    labels = mrvl.drop_duplicates("period_end_date").set_index("period_end_date")
    for end, year, quarter in (("2024-02-03", 2024, 4), ("2025-05-03", 2026, 1),
                               ("2026-01-31", 2026, 4)):
        row = labels.loc[pd.Timestamp(end)]
        assert (row["fiscal_year"], row["fiscal_quarter"]) == (year, quarter), end
    doc = json.loads((sources_dir / "sec_companyfacts" / f"CIK{MRVL}.json").read_text())
    concepts = {"purchases_of_property_and_equipment":
                ["PaymentsToAcquirePropertyPlantAndEquipment"],
                "revenue": ["RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues"]}
    checked = 0
    for metric, names in concepts.items():
        latest = mrvl[mrvl["metric"] == metric].groupby("period_end_date")["value_usd"].last()
        for name in names:
            for f in doc["facts"]["us-gaap"].get(name, {}).get("units", {}).get("USD", []):
                if re.fullmatch(r"CY\d{4}Q\d", f.get("frame", "")) and "start" in f:
                    assert abs(latest[pd.Timestamp(f["end"])] - f["val"]) <= ROUNDING_USD, f
                    checked += 1
    assert checked >= 20


def test_added_companies_render_every_section(added):
    out = added["tmp"] / "reports"
    done = kit("render", "SNOW", "MUR", "MRVL", "--out", str(out), "--no-progress",
               env=added["env"])
    assert done.returncode == 0, done.stderr
    marvell = next(out.glob("MRVL-*.html")).read_text()
    assert "FY26 Q1" in marvell and "FY27 Q1" in marvell  # quarters ending 2025-05-03, 2026-05-02
    snow = next(out.glob("SNOW-*.html")).read_text()
    mur = next(out.glob("MUR-*.html")).read_text()
    assert "No earnings release dates for SNOW in the sources (SEC has no submissions " \
           "document for it)" in snow
    assert "No capex outlook in the sources" in snow and "No statements in the sources" in snow
    assert "Timing comes from the time SEC accepted the 8-K" in mur
    assert "No price source for MUR" in mur
    assert "MURPHY OIL" in mur and "Snowflake" in snow


def test_a_rebuild_keeps_added_companies_and_remove_takes_them_out(added, sources_dir):
    env = dict(added["env"], KIT_SOURCES=str(sources_dir))
    assert kit("data", "build", env=env).returncode == 0
    assert {"SNOW", "MUR"} <= set(data.load_table("companies", added["dir"])["ticker"])
    refused = kit("data", "remove", "META", env=env)
    assert refused.returncode == 2 and "additions/companies.csv" in refused.stderr
    gone = kit("data", "remove", "MUR", env=env)
    assert gone.returncode == 0, gone.stderr
    tables = {n: data.load_table(n, added["dir"]) for n in ("companies", "financials",
                                                             "earnings_releases")}
    assert all("MUR" not in set(df["ticker"]) for df in tables.values())
    assert "SNOW" in set(tables["companies"]["ticker"])


@pytest.mark.robustness
def test_an_unknown_ticker_is_named_and_changes_nothing(sec_server, tmp_path):
    shutil.copytree(paths.shipped("data"), tmp_path / "data")
    (tmp_path / "data" / paths.MARKER).touch()
    before = (tmp_path / "data" / "companies.csv").read_bytes()
    env = dict(os.environ, KIT_DATA_DIR=str(tmp_path / "data"), KIT_SEC_USER_AGENT=AGENT,
               KIT_SEC_BASE_URL=sec_server["url"], KIT_CACHE_DIR=str(tmp_path / "cache"))
    done = kit("data", "add", "NOSUCHCO", env=env)
    assert done.returncode == 2
    assert "unknown ticker(s) NOSUCHCO: not in SEC's ticker table" in done.stderr
    assert (tmp_path / "data" / "companies.csv").read_bytes() == before


@pytest.mark.robustness
def test_a_failed_download_other_than_404_aborts_the_add(sec_server, tmp_path):
    shutil.copytree(paths.shipped("data"), tmp_path / "data")
    (tmp_path / "data" / paths.MARKER).touch()
    before = {p.name: p.read_bytes() for p in (tmp_path / "data").glob("*.csv")}
    env = dict(os.environ, KIT_DATA_DIR=str(tmp_path / "data"), KIT_SEC_USER_AGENT=AGENT,
               KIT_SEC_BASE_URL=sec_server["url"], KIT_CACHE_DIR=str(tmp_path / "cache"))
    sec_server["fail"].add(f"/submissions/CIK{MUR}.json")
    try:
        done = kit("data", "add", "MUR", env=env)
    finally:
        sec_server["fail"].clear()
    assert done.returncode == 1 and "HTTP 500" in done.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "data").glob("*.csv")} == before


def test_a_company_whose_raw_files_exist_is_one_csv_row(sources_dir, tmp_path, monkeypatch):
    additions = tmp_path / "additions"
    shutil.copytree(paths.additions_dir(), additions)
    with (additions / "companies.csv").open("a") as f:
        f.write(f"SNOW,Snowflake Inc.,{SNOW},01-31,,,,,,purchases_of_property_and_equipment,"
                "Purchases of property and equipment,,,"
                f"https://data.sec.gov/submissions/CIK{SNOW}.json\n")
    monkeypatch.setenv("KIT_ADDITIONS", str(additions))
    tables = pipeline.build_tables(sources_dir, log=lambda m: None)
    fin = tables["financials"]
    snow = fin[fin["ticker"] == "SNOW"]
    assert set(snow["source_id"]) >= {"sec_companyfacts"}
    assert {"purchases_of_property_and_equipment", "revenue"} <= set(snow["metric"])
    prices = tables["prices"]
    assert (prices["ticker"] == "SNOW").sum() > 1000  # prices_recent/SNOW.csv, since 2020


def test_the_fiscal_calendar_is_inferred_from_period_ends():
    def spans(fye, years):
        out = []
        for fy in years:
            bounds = [periods.fiscal_quarter_bounds(fy, q, fye) for q in range(1, 5)]
            out += bounds + [(bounds[0][0], bounds[3][1])]
        return out

    for fye in ("12-31", "01-31", "06-30", "last-Sat-09/Q1", "last-Sun-01/Q4"):
        assert periods.infer_fiscal_year_end(spans(fye, range(2019, 2026))) == fye
    with pytest.raises(ValueError, match="no full fiscal year"):
        periods.infer_fiscal_year_end([(date(2024, 1, 1), date(2024, 3, 31))])


def _data_copy(tmp_path, sec_server, sources_dir):
    folder = tmp_path / "data"
    shutil.copytree(paths.shipped("data"), folder)
    (folder / paths.MARKER).touch()
    env = dict(os.environ, KIT_DATA_DIR=str(folder), KIT_SEC_USER_AGENT=AGENT,
               KIT_SEC_BASE_URL=sec_server["url"], KIT_CACHE_DIR=str(tmp_path / "cache"),
               KIT_SOURCES=str(sources_dir))
    return folder, env


def _until(start, stream):
    """The first line of `stream` that starts with `start` (empty at its end)."""
    for line in stream:
        if line.startswith(start):
            return line
    return ""


def _start(*args, env):
    return subprocess.Popen([sys.executable, "-m", "kit", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("second", [("data", "add", "MUR"), ("data", "build"),
                                    ("data", "refresh", "NVDA")])
def test_two_data_commands_started_together_both_keep_their_changes(
        second, tmp_path, sec_server, sources_dir, monkeypatch):
    """`kit data add SNOW` with another add (or a build, or a refresh from the recorded SEC
    documents) on the same folder: the folder is held while the test starts both, so they
    overlap for certain; each waits, says so, and goes on; afterwards both changes are
    there."""
    from filelock import FileLock

    from kit import atomic
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    monkeypatch.setenv("KIT_CACHE_DIR", env["KIT_CACHE_DIR"])  # where the commands lock
    with FileLock(atomic.lock_path(folder)):
        runs = [_start("data", "add", "SNOW", "--prices",
                       str(sources_dir / "prices_recent" / "SNOW.csv"), env=env),
                _start(*second, env=env)]
        waited = [_until("waiting: ", p.stderr) for p in runs]  # each says what it waits for
    results = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    assert all(w.endswith(f"another kit command is writing {folder} (lock "
                          f"{atomic.lock_path(folder)})\n") for w in waited), waited
    assert [rc for rc, _ in results] == [0, 0], results
    tickers = set(data.load_table("companies", folder)["ticker"])
    assert "SNOW" in tickers and ("MUR" in tickers or second[1] != "add")
    assert {"META", "MSFT"} <= tickers


@pytest.mark.slow
def test_a_data_command_that_waited_too_long_says_the_folder_is_busy_and_changes_nothing(
        tmp_path, sec_server, sources_dir, monkeypatch):
    from filelock import FileLock

    from kit import atomic
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    monkeypatch.setenv("KIT_CACHE_DIR", env["KIT_CACHE_DIR"])  # where the commands lock
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with FileLock(atomic.lock_path(folder)):
        res = kit("data", "add", "MUR", "--wait", "2", env=env)
    assert res.returncode == 1
    assert f"{folder} is busy: another kit command was still writing it after 2 s" in res.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    bad = kit("data", "remove", "MUR", env=dict(env, KIT_DATA_WAIT="soon"))
    assert bad.returncode == 2 and "KIT_DATA_WAIT='soon' is not a number" in bad.stderr


@pytest.mark.slow
def test_a_build_after_adding_a_company_without_prices_keeps_it(tmp_path, sec_server,
                                                                 sources_dir):
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    assert kit("data", "add", "MUR", env=env).returncode == 0
    for again in (("data", "build"), ("data", "build", "--sources", str(sources_dir))):
        res = kit(*again, env=env)
        assert res.returncode == 0, res.stderr
        assert {"MUR", "META"} <= set(data.load_table("companies", folder)["ticker"])


def test_a_ticker_with_a_dot_is_named_with_the_spelling_sec_uses(sec_server, tmp_path,
                                                                 sources_dir):
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    before = (folder / "companies.csv").read_bytes()
    res = kit("data", "add", "BRK.B", env=env)
    assert res.returncode == 2 and "SEC writes BRK.B as BRK-B" in res.stderr
    assert (folder / "companies.csv").read_bytes() == before


@pytest.mark.robustness
@pytest.mark.parametrize("ticker, says", [
    ("LPA", "LPA: files under IFRS (ifrs-full facts, no us-gaap) with capex "
            "(PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities) in USD from "
            "20-F: no quarters"),
    ("NOCAPEX", "NOCAPEX: no capex concept in its filings (looked for us-gaap "
                "PaymentsToAcquirePropertyPlantAndEquipment, PaymentsToAcquireProductiveAssets"),
])
def test_a_filer_the_kit_cannot_brief_is_refused_with_the_reason(sec_server, tmp_path,
                                                                 sources_dir, ticker, says):
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    res = kit("data", "add", ticker, env=env)
    assert res.returncode == 2 and says in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_filer_without_revenue_is_added_with_that_gap_named(sec_server, tmp_path,
                                                              sources_dir):
    folder, env = _data_copy(tmp_path, sec_server, sources_dir)
    res = kit("data", "add", "NOREV", env=env)
    assert res.returncode == 0, res.stderr
    assert ("note: NOREV: no revenue concept in its filings (looked for RevenueFromContract"
            "WithCustomerExcludingAssessedTax, Revenues)") in res.stdout + res.stderr
    fin = data.load_table("financials", folder)
    metrics = set(fin.loc[fin["ticker"] == "NOREV", "metric"])
    assert "purchases_of_property_and_equipment" in metrics and "revenue" not in metrics
