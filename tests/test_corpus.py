"""`kit data add` on 36 real SEC companyfacts documents nobody here prepared (tests/corpus/,
README there: origin, licence and how they were chosen), through a local server replaying
them: each company is added or refused with a named reason, and what is added agrees with
SEC's own figures — every quarterly frame, and every full year from a 10-K against the sum of
the kit's four quarters as of that filing (unless SEC's own figures for that year do not add
up, which is named). The table is printed at the end of the test run."""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from kit import data, paths
from kit.schema import ROUNDING_USD
from kit.sources.companyfacts import CONCEPTS
from tests import replay

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).parent / "corpus"
DOCS = sorted(CORPUS.glob("CIK??????????.json.gz"))
RESULTS: list[dict] = []  # printed by conftest.pytest_terminal_summary


def _doc(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


@pytest.fixture(scope="module")
def corpus(sources_dir, tmp_path_factory):
    """Each document through `kit data add` into its own copy of the shipped data: the
    tickers as SEC's table has them (a company missing from the recorded table gets a row
    X<cik> in a copy of it), the exit code and what was said."""
    folder = tmp_path_factory.mktemp("corpus")
    table = json.loads((sources_dir / "sec_company_tickers" / "company_tickers.json").read_text())
    by_cik = {row["cik_str"]: row["ticker"] for row in table.values()}
    docs, tickers = {}, {}
    for path in DOCS:
        cik = int(path.name[3:13])
        doc = _doc(path)
        ticker = by_cik.get(cik) or f"X{cik}"
        table.setdefault(f"x{cik}", {"cik_str": cik, "ticker": ticker, "title": doc["entityName"]})
        tickers[ticker] = (path, doc)
        docs[f"/api/xbrl/companyfacts/CIK{cik:010d}.json"] = gzip.decompress(path.read_bytes())
    for path in CORPUS.glob("CIK??????????.submissions.json.gz"):  # where recorded
        docs[f"/submissions/{path.name[:13]}.json"] = gzip.decompress(path.read_bytes())
    docs["/files/company_tickers.json"] = json.dumps(table).encode()

    state: dict = {}
    httpd = replay.serve(docs, state)

    def add(ticker):
        out = folder / ticker
        shutil.copytree(paths.shipped("data"), out)
        (out / paths.MARKER).touch()
        env = dict(os.environ, KIT_DATA_DIR=str(out), KIT_CACHE_DIR=str(folder / "cache"),
                   KIT_SEC_USER_AGENT="Kit Tests kit-tests@example.com",
                   KIT_SEC_BASE_URL=state["url"])
        res = subprocess.run([sys.executable, "-m", "kit", "data", "add", ticker], env=env,
                             capture_output=True, text=True, timeout=600)
        return ticker, out, res

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(add, tickers))
    httpd.shutdown()
    results = []
    for ticker, out, res in done:
        path, doc = tickers[ticker]
        result = dict(ticker=ticker, name=doc["entityName"], file=path.name, rc=res.returncode,
                      stderr=res.stderr)
        if res.returncode == 0:
            companies = data.load_table("companies", out).set_index("ticker")
            fin = data.load_table("financials", out)
            fin = fin[fin["ticker"] == ticker]
            off = re.search(r"note: \S+ (\d+) quarter\(s\) in its filings end off",
                            res.stdout + res.stderr)
            result.update(agreement(doc, fin), calendar=companies.at[ticker, "fiscal_year_end"],
                          off=int(off[1]) if off else 0,
                          quarters=fin.loc[fin["metric"] != "revenue", "period_end_date"].nunique())
        else:
            result["reason"] = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""
        results.append(result)
    RESULTS[:] = results
    return results


def _concept(detail) -> str | None:
    """The concept a companyfacts row was made from (the first its source_detail names)."""
    found = re.search(r"\): (\w+) ", detail or "")
    return found[1] if found else None


def agreement(doc: dict, fin: pd.DataFrame) -> dict:
    """How the kit's quarters of one company agree with SEC's figures in its document.

    Frames: each quarterly frame (CY####Q#, SEC's latest value for the period) of a concept
    the kit used for that quarter, against the kit's version from the same accession, else
    its latest. Years: each full year as its first 10-K gave it, against the sum of the kit's
    four quarters of that concept as of that filing; a year that disagrees is `explained`
    where SEC's own figures for it, as filed by then, do not add up (a year to date that is
    not the one before plus the quarter between), else `unexplained`."""
    fin = fin.assign(concept=fin["source_detail"].map(_concept))
    gaap = doc["facts"].get("us-gaap", {})
    out = dict(frames=0, frames_ok=0, years=0, years_ok=0, explained=[], unexplained=[])
    for metric, names in CONCEPTS.items():
        mine = fin[fin["metric"] == metric]
        for name in sorted({c for n in names for c in n.split("+")}):
            facts = [f for f in gaap.get(name, {}).get("units", {}).get("USD", []) if "start" in f]
            for f in facts:
                if not re.fullmatch(r"CY\d{4}Q\d", f.get("frame", "")):
                    continue
                rows = mine[(mine["period_start_date"] == f["start"])
                            & (mine["period_end_date"] == f["end"]) & (mine["concept"] == name)]
                if rows.empty:
                    continue  # the kit took that quarter from another concept, or has none
                rows = rows.sort_values("published_date")
                same = rows[rows["source_url"].str.contains(f["accn"].replace("-", ""),
                                                            regex=False)]
                value = (same if not same.empty else rows)["value_usd"].iloc[-1]
                out["frames"] += 1
                out["frames_ok"] += abs(value - f["val"]) <= ROUNDING_USD
                if abs(value - f["val"]) > ROUNDING_USD:
                    out["unexplained"].append(f"{name} frame {f['frame']}: SEC {f['val']:,.0f}, "
                                              f"kit {value:,.0f}")
            first: dict[tuple, dict] = {}
            for f in facts:
                days = (pd.Timestamp(f["end"]) - pd.Timestamp(f["start"])).days + 1
                if f.get("form") == "10-K" and 350 <= days <= 380:
                    key = (f["start"], f["end"])
                    if key not in first or f["filed"] < first[key]["filed"]:
                        first[key] = f
            for (start, end), f in sorted(first.items()):
                q = mine[(mine["period_start_date"] >= start) & (mine["period_end_date"] <= end)
                         & (mine["published_date"] <= f["filed"])].sort_values("published_date")
                q = q.groupby("period_end_date").last()
                if len(q) != 4 or set(q["concept"]) != {name} \
                        or q["period_start_date"].min() != pd.Timestamp(start):
                    continue  # the kit lacks a quarter of it, or mixed concepts
                out["years"] += 1
                total = q["value_usd"].sum()
                if abs(total - f["val"]) <= 4 * ROUNDING_USD:
                    out["years_ok"] += 1
                    continue
                why = _not_adding_up(facts, start, end, f["filed"])
                (out["explained"] if why else out["unexplained"]).append(
                    f"{name} {start}..{end}: 10-K {f['val']:,.0f}, kit's quarters {total:,.0f}"
                    + (f" ({why})" if why else ""))
    return out


def _not_adding_up(facts: list[dict], start: str, end: str, day: str) -> str | None:
    """Where SEC's own figures for the year from `start`, as filed by `day`, do not add up:
    a year to date that is not the one before plus the quarter between (the latest values
    filed by then)."""
    latest = {}
    for f in sorted(facts, key=lambda f: f["filed"]):
        if f["start"] >= start and f["end"] <= end and f["filed"] <= day:
            latest[(f["start"], f["end"])] = f["val"]
    ytd = sorted((e, v) for (s, e), v in latest.items() if s == start)
    for (e1, v1), (e2, v2) in zip(ytd, ytd[1:]):
        between = [v for (s, e), v in latest.items()
                   if e == e2 and pd.Timestamp(s) == pd.Timestamp(e1) + pd.Timedelta(days=1)]
        if between and abs(v1 + between[0] - v2) > ROUNDING_USD:
            return (f"SEC's figures do not add up: to {e1} {v1:,.0f} plus the quarter to {e2} "
                    f"{between[0]:,.0f} is not its {v2:,.0f} to {e2}")
    return None


# what the kit cannot brief (companyfacts.check_usable); anything else must be added
REFUSALS = ("no capex concept in its filings", "files under IFRS", "not US dollars",
            "only for full years")


def test_every_company_is_added_or_refused_with_a_named_reason(corpus):
    assert len(corpus) >= 12
    for r in corpus:
        assert "Traceback" not in r["stderr"], r["ticker"]
        assert r["rc"] == 0 or (r["rc"] == 2 and r["reason"].startswith(
            f"kit: error: {r['ticker']}: ") and any(why in r["reason"] for why in REFUSALS)), \
            (r["ticker"], r["stderr"][-500:])
    assert sum(r["rc"] == 0 for r in corpus) >= 12


def test_every_sec_frame_agrees_with_the_kits_quarter(corpus):
    added = [r for r in corpus if r["rc"] == 0]
    assert sum(r["frames"] for r in added) >= 500
    assert [(r["ticker"], r["unexplained"]) for r in added
            if r["frames_ok"] != r["frames"]] == []


def test_every_full_year_agrees_unless_secs_own_figures_do_not_add_up(corpus):
    added = [r for r in corpus if r["rc"] == 0]
    assert sum(r["years"] for r in added) >= 200
    assert [(r["ticker"], r["unexplained"]) for r in added if r["unexplained"]] == []


def summary(results: list[dict]) -> list[str]:
    """The corpus table: one line per company."""
    lines = [f"{'ticker':<9} {'company':<36} {'calendar':<19} {'quarters':>8} "
             f"{'frames':>9} {'full years':>10}  outcome"]
    for r in sorted(results, key=lambda r: r["ticker"]):
        if r["rc"] == 0:
            note = "added" + (f"; {len(r['explained'])} year(s) where SEC's figures do not add "
                              "up" if r["explained"] else "") + (
                f"; {r['off']} quarter end(s) off its calendar, named" if r["off"] else "")
            lines.append(f"{r['ticker']:<9} {r['name'][:36]:<36} {r['calendar']:<19} "
                         f"{r['quarters']:>8} {r['frames_ok']:>4}/{r['frames']:<4} "
                         f"{r['years_ok']:>5}/{r['years']:<4}  {note}")
        else:
            lines.append(f"{r['ticker']:<9} {r['name'][:36]:<36} {'':<19} {'':>8} {'':>9} "
                         f"{'':>10}  refused: {r['reason'].removeprefix('kit: error: ')[:150]}")
    added = [r for r in results if r["rc"] == 0]
    lines.append(f"{len(added)} added, {len(results) - len(added)} refused; frames "
                 f"{sum(r['frames_ok'] for r in added)}/{sum(r['frames'] for r in added)}, "
                 f"full years {sum(r['years_ok'] for r in added)}/"
                 f"{sum(r['years'] for r in added)}, "
                 f"{sum(len(r['explained']) for r in added)} where SEC's figures do not add up")
    return lines
