"""SEC refresh against a local server replaying the recorded Snowflake companyfacts document
(../shared/sources/sec_companyfacts/), with faults injected on request."""

import gzip
import http.server
import json
import re
import shutil
import socket
import struct
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from kit import periods, sec
from kit.data import data_dir, load_table
from kit.schema import DataError
from kit.sources import additions, companyfacts

SNOW_CIK = "0001640147"
AGENT = "Kit Tests kit-tests@example.com"


@pytest.fixture(scope="module")
def snow_doc(sources_dir):
    return (sources_dir / "sec_companyfacts" / f"CIK{SNOW_CIK}.json").read_bytes()


@pytest.fixture
def server(snow_doc):
    """A local HTTP server. `faults` is a list of what to answer, in order, before the real
    document: an HTTP status, 'truncated' (Content-Length longer than the body), 'invalid'
    (not JSON), 'reset', 'hang', 'drip' (a byte at a time) or bytes (that body instead).
    `docs` maps other paths to their documents; `retry_after` is the header sent with an
    error status; a client that accepts gzip gets a gzip body. `seen` records each
    request's path and User-Agent, `encodings` its Accept-Encoding."""
    state = {"faults": [], "seen": [], "forever": None, "encodings": [], "retry_after": "0",
             "docs": {f"/api/xbrl/companyfacts/CIK{SNOW_CIK}.json": snow_doc}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["seen"].append((self.path, self.headers.get("User-Agent")))
            state["encodings"].append(self.headers.get("Accept-Encoding"))
            fault = state["faults"].pop(0) if state["faults"] else state["forever"]
            if fault == "hang":  # answer only after the client has given up
                time.sleep(1.5)
                fault = state["forever"] if state["forever"] != "hang" else None
            if isinstance(fault, dict):  # a fault for one path only
                fault = fault.get(self.path)
            if self.path not in state["docs"]:
                fault = 404
            if isinstance(fault, int):
                self.send_response(fault)
                self.send_header("Retry-After", state["retry_after"])
                self.end_headers()
                return
            body = b'{"cik": 1640147, "facts": {' if fault == "invalid" else \
                fault if isinstance(fault, bytes) else state["docs"][self.path]
            zipped = "gzip" in (self.headers.get("Accept-Encoding") or "")
            if zipped:
                body = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if zipped:
                self.send_header("Content-Encoding", "gzip")
            length = len(body) + (1000 if fault == "truncated" else 0)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if fault == "reset":  # half the body, then a TCP reset instead of the rest
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                return
            if fault == "drip":  # a byte every 50 ms: never a read timeout, never done
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
                return
            self.wfile.write(body[: len(body) // 2] if fault == "truncated" else body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()


def _client(server, tmp_path, **kw):
    return sec.Client(AGENT, base_url=server["url"], cache=tmp_path / "cache", backoff=0,
                      retries=2, log=lambda m: None, **kw)


def _companies():
    snow = dict(ticker="SNOW", company_name="Snowflake Inc.", cik=SNOW_CIK,
                fiscal_year_end="01-31",
                capex_concept="PaymentsToAcquirePropertyPlantAndEquipment",
                capex_metric="purchases_of_property_and_equipment",
                capex_definition="Purchases of property and equipment",
                source_url=f"https://data.sec.gov/submissions/CIK{SNOW_CIK}.json")
    return pd.concat([additions.companies(), pd.DataFrame([snow])], ignore_index=True)


def _refresh(server, tmp_path, sources_dir, **kw):
    lines = []
    out = sec.refresh(["snow"], client=_client(server, tmp_path, **kw),
                      sources_dir=sources_dir, data_dir=tmp_path / "data",
                      companies=_companies(), log=lines.append)
    return out, lines


def _facts_seen(server):
    """The requests for companyfacts (each refresh also asks for submissions)."""
    return [p for p in server["seen"] if "/companyfacts/" in p[0]]


def _existing_data(tmp_path):
    """A data folder the kit wrote earlier (it holds the marker), with content to keep."""
    from kit import atomic
    data = tmp_path / "data"
    data.mkdir()
    (data / "financials.csv").write_text("keep me")
    atomic.mark(data, ["financials.csv"])
    return data


def test_refresh_builds_snowflake_quarters_with_first_filed_dates(server, tmp_path,
                                                                   sources_dir):
    out, lines = _refresh(server, tmp_path, sources_dir)
    assert server["seen"] == [(f"/api/xbrl/companyfacts/CIK{SNOW_CIK}.json", AGENT),
                              (f"/submissions/CIK{SNOW_CIK}.json", AGENT)]  # 404: reported
    fin = load_table("financials", out)
    snow = fin[(fin["ticker"] == "SNOW") & (fin["source_id"] == "sec_companyfacts")]
    capex = snow[snow["metric"] == "purchases_of_property_and_equipment"]
    # Fiscal Q4 FY2025 (Nov 2024 - Jan 2025) is only in the 10-K as a year: derived as the
    # year minus nine months, and labelled by its own dates, CY2024 Q4.
    q4 = capex[capex["period_end_date"] == "2025-01-31"].iloc[0]
    assert (q4["fiscal_year"], q4["fiscal_quarter"]) == (2025, 4)
    assert (q4["calendar_year"], q4["calendar_quarter"]) == (2024, 4)
    assert q4["derivation"] == "ytd_difference"
    assert q4["period_start_date"] == pd.Timestamp("2024-11-01")
    assert q4["published_date_basis"].startswith("first filed in 10-K")
    doc = json.loads((sources_dir / "sec_companyfacts" / f"CIK{SNOW_CIK}.json").read_text())
    facts = doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    year = [f for f in facts if (f["start"], f["end"]) == ("2024-02-01", "2025-01-31")]
    nine = [f for f in facts if (f["start"], f["end"]) == ("2024-02-01", "2024-10-31")]
    assert q4["value_usd"] == year[0]["val"] - nine[0]["val"]
    assert q4["published_date"] == pd.Timestamp(min(f["filed"] for f in year))
    assert not any(line.startswith("changes:") for line in lines)  # no earlier data
    assert "2 request(s) to SEC, 0 document(s) from the cache" in lines
    assert any(line.startswith("note: SNOW: no submissions document") for line in lines)


def test_second_refresh_within_the_cache_period_makes_no_request(server, tmp_path,
                                                                   sources_dir):
    _refresh(server, tmp_path, sources_dir)
    _, lines = _refresh(server, tmp_path, sources_dir)
    assert len(_facts_seen(server)) == 1
    assert "1 request(s) to SEC, 1 document(s) from the cache" in lines  # the 404 again
    assert "changes: 0 new quarter figures, 0 revised, 0 removed (0 rows added, 0 removed)" \
        in lines


def test_an_expired_cache_is_fetched_again(server, tmp_path, sources_dir):
    _refresh(server, tmp_path, sources_dir)
    _refresh(server, tmp_path, sources_dir, max_age_hours=0)
    assert len(_facts_seen(server)) == 2


@pytest.mark.robustness
def test_a_timeout_is_retried(server, tmp_path, sources_dir):
    server["faults"] = ["hang"]
    out, _ = _refresh(server, tmp_path, sources_dir, timeout=0.3)
    assert len(_facts_seen(server)) == 2
    assert (out / "financials.csv").is_file()


@pytest.mark.robustness
def test_429_then_success_retries(server, tmp_path, sources_dir):
    server["faults"] = [429]
    out, _ = _refresh(server, tmp_path, sources_dir)
    assert len(_facts_seen(server)) == 2
    assert (out / "financials.csv").is_file()


@pytest.mark.robustness
@pytest.mark.parametrize("fault", [500, 503, "truncated", "reset", "invalid", "hang"])
def test_a_lasting_fault_fails_cleanly_and_keeps_the_data(server, tmp_path, sources_dir,
                                                          fault):
    data = _existing_data(tmp_path)
    server["forever"] = fault
    with pytest.raises(sec.FetchError, match=r"SNOW: .*after 3 attempts") as err:
        _refresh(server, tmp_path, sources_dir, timeout=0.3)
    assert "data/ left unchanged" in str(err.value)
    assert len(_facts_seen(server)) == 3
    assert (data / "financials.csv").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no cache of a bad body


@pytest.mark.robustness
def test_a_missing_user_agent_is_refused_before_any_request(monkeypatch):
    monkeypatch.delenv("KIT_SEC_USER_AGENT", raising=False)
    with pytest.raises(DataError, match="KIT_SEC_USER_AGENT"):
        sec.user_agent()
    with pytest.raises(DataError, match="got 'me'"):
        sec.user_agent("me")
    monkeypatch.setenv("KIT_SEC_USER_AGENT", AGENT)
    assert sec.user_agent() == AGENT


def test_requests_are_spaced_to_at_most_ten_a_second(server, tmp_path, monkeypatch):
    clock = {"now": 100.0}
    slept = []
    monkeypatch.setattr(sec.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(sec.time, "sleep", lambda s: (slept.append(s),
                                                      clock.__setitem__("now",
                                                                        clock["now"] + s)))
    client = _client(server, tmp_path, max_age_hours=0)
    for _ in range(3):
        client.companyfacts(SNOW_CIK)
    assert len(slept) == 2 and all(s == pytest.approx(0.1) for s in slept)


def test_calendar_quarters_agree_with_every_sec_frame(snow_doc):
    doc = json.loads(snow_doc)
    checked = 0
    for concept in doc["facts"].values():
        for unit in concept.values():
            for values in unit["units"].values():
                for f in values:
                    m = re.fullmatch(r"CY(\d{4})Q(\d)", f.get("frame", ""))
                    if not m or "start" not in f:
                        continue
                    start, end = date.fromisoformat(f["start"]), date.fromisoformat(f["end"])
                    assert periods.calendar_quarter(start, end) == (int(m[1]), int(m[2])), f
                    checked += 1
    assert checked > 100


def test_fiscal_labels_come_from_period_dates_not_the_filing(snow_doc):
    rows = companyfacts.facts_rows(json.loads(snow_doc), _companies().iloc[-1].to_dict(), "u")
    # The filing's own fy/fp describe the filing: e.g. a FY2021 10-K repeats the 2018 year.
    for r in rows:
        fy, q = periods.fiscal_period(r["period_end_date"], "01-31")
        start, end = periods.fiscal_quarter_bounds(fy, q, "01-31")
        assert (start, end) == (r["period_start_date"], r["period_end_date"])


def _cli(*args, env):
    import os
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "kit.cli", "data", "refresh", *args],
                          capture_output=True, text=True, env={**os.environ, **env})


@pytest.mark.robustness
def test_cli_refresh_without_a_user_agent_exits_2(tmp_path, monkeypatch):
    res = _cli("META", "--out", str(tmp_path / "data"), env={"KIT_SEC_USER_AGENT": ""})
    assert res.returncode == 2
    assert "requires a User-Agent" in res.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.robustness
def test_cli_refresh_failure_exits_1_and_names_what_failed(server, tmp_path):
    data = _existing_data(tmp_path)
    res = _cli("meta", "--out", str(data), env={"KIT_SEC_USER_AGENT": AGENT,
                                               "KIT_SEC_BASE_URL": server["url"],
                                               "KIT_CACHE_DIR": str(tmp_path / "cache")})
    assert res.returncode == 1
    assert "META: " in res.stderr and "HTTP 404" in res.stderr
    assert "data/ left unchanged" in res.stderr
    assert (data / "financials.csv").read_text() == "keep me"
    assert server["seen"] == [("/api/xbrl/companyfacts/CIK0001326801.json", AGENT),
                              ("/submissions/CIK0001326801.json", AGENT)]


def test_refresh_prints_the_quarters_a_newer_document_adds(server, tmp_path, sources_dir,
                                                           snow_doc):
    # An older state of the same document: only what had been filed by 2024-06-30.
    doc = json.loads(snow_doc)
    for concept in doc["facts"]["us-gaap"].values():
        for unit, values in concept["units"].items():
            concept["units"][unit] = [f for f in values if f["filed"] <= "2024-06-30"]
    cache = _client(server, tmp_path).folder()  # this server's documents
    cache.mkdir(parents=True)
    (cache / f"api_xbrl_companyfacts_CIK{SNOW_CIK}.json").write_text(json.dumps(doc))
    _refresh(server, tmp_path, sources_dir)
    assert _facts_seen(server) == []  # served from the cache
    _, lines = _refresh(server, tmp_path, sources_dir, max_age_hours=0)
    summary = next(line for line in lines if line.startswith("changes:"))
    assert not summary.startswith("changes: 0 new quarter figures, 0 revised")
    assert any(line.startswith("  new      SNOW purchases_of_property_and_equipment 2025-01-31")
               for line in lines)


def test_a_value_revised_by_a_later_filing_keeps_both_versions(snow_doc):
    # The recorded document has no revision; add one to a copy, as a later 10-K would.
    doc = json.loads(snow_doc)
    values = doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    quarter = next(f for f in values if (f["start"], f["end"]) == ("2024-02-01", "2024-04-30"))
    values.append({**quarter, "val": quarter["val"] + 5_000_000, "filed": "2025-06-01",
                   "accn": "revision-test", "form": "10-Q"})
    rows = [r for r in companyfacts.facts_rows(doc, _companies().iloc[-1].to_dict(), "u")
            if r["metric"] == "purchases_of_property_and_equipment"
            and r["period_end_date"] == date(2024, 4, 30)]
    assert [(r["value_usd"], r["published_date"]) for r in rows] == [
        (quarter["val"], date.fromisoformat(quarter["filed"])),
        (quarter["val"] + 5_000_000, date(2025, 6, 1))]
    assert rows[1]["published_date_basis"].startswith("revised in 10-Q revision-test")


# --- hardening (issue 12): downloads checked before use and before caching -----------------

def _fact(**change):
    fact = {"start": "2024-02-01", "end": "2024-04-30", "val": 1000, "accn": "a", "fy": 2025,
            "fp": "Q1", "form": "10-Q", "filed": "2024-05-30"}
    return {**fact, **change}


def _doc(*facts, cik=1640147):
    return json.dumps({"cik": cik, "entityName": "Snowflake Inc.", "facts": {"us-gaap": {
        "PaymentsToAcquirePropertyPlantAndEquipment": {"units": {"USD": list(facts)}}}}}
    ).encode()


@pytest.mark.robustness
@pytest.mark.parametrize("body,field", [
    (b'["not", "an", "object"]', "the document is not a JSON object"),
    (b'{"cik": 1640147, "facts": []}', "facts is missing or not an object"),
    (_doc(_fact(val="12")), "facts.us-gaap.PaymentsToAcquirePropertyPlantAndEquipment.units."
                            "USD[0].val is '12', not a number"),
    (_doc(_fact(), _fact(filed="30/05/2024")), "USD[1].filed is '30/05/2024', not a date"),
    (_doc(_fact(), cik=42), "cik is 42, not the CIK asked for"),
], ids=["list", "facts", "val", "filed", "cik"])
def test_a_document_of_the_wrong_shape_is_named_field_by_field_and_not_cached(
        server, tmp_path, body, field):
    server["faults"] = [body]
    client = _client(server, tmp_path)
    with pytest.raises(sec.FetchError, match=re.escape(field)):
        client.companyfacts(SNOW_CIK)
    assert len(server["seen"]) == 1  # a wrong document is not fetched again and again
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
    assert client.companyfacts(SNOW_CIK)["cik"] == 1640147  # the next refresh is not stuck


@pytest.mark.robustness
@pytest.mark.parametrize("value", [b"1e400", b"NaN", b"Infinity"])
def test_a_number_that_is_not_finite_never_reaches_the_data(server, tmp_path, sources_dir,
                                                            value):
    server["forever"] = _doc(_fact()).replace(b'"val": 1000', b'"val": ' + value)
    with pytest.raises(sec.FetchError, match="not a finite number"):
        _refresh(server, tmp_path, sources_dir)
    assert not (tmp_path / "data").exists()


@pytest.mark.robustness
def test_a_server_that_drips_is_stopped_by_the_deadline(server, tmp_path):
    server["forever"] = "drip"
    start = time.monotonic()
    with pytest.raises(sec.FetchError, match="no complete response within 0.5 s, after 3"):
        _client(server, tmp_path, timeout=0.3, deadline=0.5).companyfacts(SNOW_CIK)
    assert time.monotonic() - start < 30  # the whole document would take hours


@pytest.mark.robustness
def test_a_response_over_the_size_limit_is_refused_without_retrying(server, tmp_path):
    with pytest.raises(sec.FetchError, match="larger than"):
        _client(server, tmp_path, max_bytes=50_000).companyfacts(SNOW_CIK)
    assert len(server["seen"]) == 1


@pytest.mark.robustness
def test_gzip_is_asked_for_and_decoded(server, tmp_path):
    client = _client(server, tmp_path)
    doc = client.companyfacts(SNOW_CIK)
    assert server["encodings"] == ["gzip"]  # SEC asks clients to accept gzip
    assert doc["cik"] == 1640147 and "us-gaap" in doc["facts"]
    cached = next(client.folder().iterdir()).read_bytes()
    assert cached.startswith(b"{")  # cached decoded, as the document


@pytest.mark.robustness
def test_retry_after_in_both_forms(server, tmp_path, monkeypatch):
    from email.utils import format_datetime
    waits = []
    monkeypatch.setattr(sec.time, "sleep", waits.append)
    later = datetime.now(UTC) + timedelta(seconds=90)
    for header, expected in (("7", 7), (format_datetime(later, usegmt=True), 90)):
        server["retry_after"], server["faults"] = header, [503]
        _client(server, tmp_path, max_age_hours=0).companyfacts(SNOW_CIK)
        assert any(abs(w - expected) < 2 for w in waits), waits
        waits.clear()
    server["retry_after"] = format_datetime(later + timedelta(days=1), usegmt=True)
    server["faults"] = [503]
    with pytest.raises(sec.FetchError, match="asks to wait .* s; try again later"):
        _client(server, tmp_path, max_age_hours=0).companyfacts(SNOW_CIK)


# --- a refresh changes only what it fetched ---------------------------------------------------

OTHER_CIK = "0000000042"


def _two_companies(server, snow_doc):
    """SNOW and a second company, SNOX, served the same figures under its own CIK."""
    doc = json.loads(snow_doc)
    doc["cik"] = 42
    server["docs"][f"/api/xbrl/companyfacts/CIK{OTHER_CIK}.json"] = json.dumps(doc).encode()
    snox = _companies().iloc[[-1]].assign(ticker="SNOX", cik=OTHER_CIK)
    return pd.concat([_companies(), snox], ignore_index=True)


def _refresh_some(server, tmp_path, sources_dir, companies, tickers, **kw):
    lines = []
    try:
        sec.refresh(tickers, client=_client(server, tmp_path, max_age_hours=0, **kw),
                    sources_dir=sources_dir, data_dir=tmp_path / "data",
                    companies=companies, log=lines.append)
    finally:
        fin = load_table("financials", tmp_path / "data")
    return fin[fin["source_id"] == "sec_companyfacts"], lines


@pytest.mark.robustness
def test_refreshing_one_company_keeps_the_others_refreshed_rows(server, tmp_path,
                                                                sources_dir, snow_doc):
    companies = _two_companies(server, snow_doc)
    both, _ = _refresh_some(server, tmp_path, sources_dir, companies, ["SNOW", "SNOX"])
    one, lines = _refresh_some(server, tmp_path, sources_dir, companies, ["snow"])
    assert (both["ticker"] == "SNOX").sum() > 40
    assert (one["ticker"] == "SNOX").sum() == (both["ticker"] == "SNOX").sum()
    assert "changes: 0 new quarter figures, 0 revised, 0 removed (0 rows added, 0 removed)" \
        in lines


@pytest.mark.robustness
def test_a_failed_company_is_named_and_keeps_its_data_while_the_others_update(
        server, tmp_path, sources_dir, snow_doc):
    companies = _two_companies(server, snow_doc)
    before, _ = _refresh_some(server, tmp_path, sources_dir, companies, ["SNOW", "SNOX"])
    server["forever"] = {f"/api/xbrl/companyfacts/CIK{OTHER_CIK}.json": 503}
    with pytest.raises(sec.FetchError, match=r"refreshed SNOW; these failed and keep their "
                                             r"earlier data:\n  SNOX: .*HTTP 503"):
        _refresh_some(server, tmp_path, sources_dir, companies, ["SNOW", "SNOX"])
    after = load_table("financials", tmp_path / "data")
    after = after[after["source_id"] == "sec_companyfacts"]
    assert (after["ticker"] == "SNOX").sum() == (before["ticker"] == "SNOX").sum()


# Microsoft's FY2023 Q2 release as it opens (its exhibit 99.1:
# https://www.sec.gov/Archives/edgar/data/789019/000119312523014230/d406070dex991.htm)
MSFT_FY23_Q2 = ("“The next major wave of computing is being born, as the Microsoft Cloud turns "
                "the world’s most advanced AI models into a new computing platform,” said Satya "
                "Nadella, chairman and chief executive officer of Microsoft. “We are committed "
                "to helping our customers use our platforms and tools to do more with less "
                "today and innovate for the future in the new era of AI.”")


def test_refresh_reads_submissions_and_the_releases_not_yet_in_the_data(server, tmp_path,
                                                                        sources_dir):
    """The real `kit data refresh MSFT` against a local server with Microsoft's recorded
    submissions (no companyfacts recorded: 404). Two releases are taken out of the data
    first: both come back from the submissions, dated, timed and linked; one's filing index
    answers 404 (reported, the refresh goes on), the other's exhibit is read."""
    folder = tmp_path / "data"
    shutil.copytree(data_dir(), folder)
    rel = pd.read_csv(folder / "earnings_releases.csv", dtype=str, keep_default_na=False)
    gone = rel["accession_number"].isin(["0001193125-26-027198", "0001193125-23-014230"])
    assert gone.sum() == 2
    rel[~gone].to_csv(folder / "earnings_releases.csv", index=False, lineterminator="\n")
    fy23q2 = "/Archives/edgar/data/789019/000119312523014230"
    server["docs"].update({
        "/submissions/CIK0000789019.json":
            (sources_dir / "sec_submissions" / "CIK0000789019.json").read_bytes(),
        # the filing's index as SEC's Archives serve it (directory.item[].name)
        f"{fy23q2}/index.json": json.dumps({"directory": {"name": fy23q2, "item": [
            {"name": "0001193125-23-014230-index-headers.html"},
            {"name": "d406070d8k.htm"}, {"name": "d406070dex991.htm"}]}}).encode(),
        f"{fy23q2}/d406070dex991.htm": f"<html><body><p>{MSFT_FY23_Q2}</p></body></html>"
        .encode(),
    })
    res = _cli("MSFT", "--out", str(folder), env={"KIT_SEC_USER_AGENT": AGENT,
                                                 "KIT_SEC_BASE_URL": server["url"],
                                                 "KIT_CACHE_DIR": str(tmp_path / "cache")})
    assert res.returncode == 0, res.stderr
    asked = [p for p, _ in server["seen"]]
    assert asked[:2] == ["/api/xbrl/companyfacts/CIK0000789019.json",
                         "/submissions/CIK0000789019.json"]
    assert "/Archives/edgar/data/789019/000119312526027198/index.json" in asked  # 404
    log = res.stdout + res.stderr
    assert "MSFT release of 2026-01-28: " in log and "HTTP 404" in log
    rel = load_table("earnings_releases", folder).set_index(["ticker", "fiscal_year",
                                                            "fiscal_quarter"])
    new = rel.loc[("MSFT", 2026, 2)]
    assert (new["release_date"], new["timing"], new["timing_basis"]) == (
        pd.Timestamp("2026-01-28"), "after_close", "filing_time")  # 21:04:38 UTC
    assert new["source_url"] == "https://www.sec.gov/Archives/edgar/data/789019/000119312526027198/"
    st = load_table("statements", folder)
    (quote,) = st[st["source_id"] == "sec_exhibit"].itertuples()
    assert quote.speaker == "Satya Nadella, chairman and chief executive officer of Microsoft"
    assert quote.text == MSFT_FY23_Q2 and quote.event_date == pd.Timestamp("2023-01-24")
    assert quote.source_url == f"https://www.sec.gov{fy23q2}/d406070dex991.htm"
    assert quote.note == "extracted from the release"
    # a second refresh keeps what the release said and does not read it again
    res = _cli("MSFT", "--out", str(folder), env={"KIT_SEC_USER_AGENT": AGENT,
                                                 "KIT_SEC_BASE_URL": server["url"],
                                                 "KIT_CACHE_DIR": str(tmp_path / "cache2")})
    assert res.returncode == 0, res.stderr
    assert [p for p, _ in server["seen"]].count(f"{fy23q2}/d406070dex991.htm") == 1
    st = load_table("statements", folder)
    assert list(st.loc[st["source_id"] == "sec_exhibit", "text"]) == [MSFT_FY23_Q2]


def test_a_second_server_is_never_served_the_first_servers_cached_documents(server, tmp_path):
    """The download cache is keyed by the server: a mirror (KIT_SEC_BASE_URL) set after
    another gets its own documents, not the other's copies."""
    path = f"/api/xbrl/companyfacts/CIK{SNOW_CIK}.json"
    first = sec.Client(AGENT, base_url=server["url"], cache=tmp_path, backoff=0)
    assert first.get_json(path)["cik"] == 1640147
    body = b'{"cik": 42, "facts": {}}'

    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        second = sec.Client(AGENT, base_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                            cache=tmp_path, backoff=0)
        assert second.get_json(path)["cik"] == 42 and second.cache_hits == 0
        assert first.get_json(path)["cik"] == 1640147 and first.cache_hits == 1
    finally:
        httpd.shutdown()


@pytest.mark.parametrize("doc", [{"filings": "not an object"}, {"filings": {"recent": []}},
                                 ["a list"], {"filings": {"recent": {"form": "8-K"}}}])
def test_a_submissions_document_of_the_wrong_shape_is_named_not_a_traceback(doc):
    with pytest.raises(sec.FetchError, match=r"submissions for CIK 0000000042: filings\.recent "
                                             r"lacks one of form"):
        sec.check_submissions(doc, "0000000042")


@pytest.mark.robustness
@pytest.mark.parametrize("value", [b"1e308", b"-1e300"])
def test_an_impossibly_large_figure_is_named_with_its_ticker_and_sec_fact(server, tmp_path,
                                                                         sources_dir, value):
    server["forever"] = _doc(_fact()).replace(b'"val": 1000', b'"val": ' + value)
    with pytest.raises(DataError, match=r"SNOW: SEC fact PaymentsToAcquirePropertyPlantAndEquipment"
                                        r" 2024-02-01\.\.2024-04-30 \(accession a, form 10-Q\): "
                                        r"\S+ USD is not a figure any company reports"):
        _refresh(server, tmp_path, sources_dir)
    assert not (tmp_path / "data").exists()


@pytest.mark.robustness
def test_a_filing_that_gives_one_fact_two_values_is_named_not_resolved_silently(
        server, tmp_path, sources_dir):
    server["forever"] = _doc(_fact(), _fact(val=1000), _fact(val=2500))  # a repeat is fine
    with pytest.raises(DataError, match=r"SNOW: SEC fact PaymentsToAcquirePropertyPlantAndEquipment"
                                        r" 2024-02-01\.\.2024-04-30 \(accession a, form 10-Q\): "
                                        r"the filing gives it twice, 1,000 and 2,500 USD"):
        _refresh(server, tmp_path, sources_dir)
    assert not (tmp_path / "data").exists()


@pytest.mark.robustness
def test_one_deadline_covers_every_attempt_at_a_document(server, tmp_path, monkeypatch):
    """A server that drips would cost each attempt its own deadline; one deadline for the
    document, across retries, ends it ($KIT_SEC_DEADLINE, so a test need not wait)."""
    monkeypatch.setenv("KIT_SEC_DEADLINE", "1.5")
    server["forever"] = "drip"
    start = time.monotonic()
    with pytest.raises(sec.FetchError, match=r"no complete document within 1.5 s over \d "
                                             r"attempt\(s\) \(\$KIT_SEC_DEADLINE allows longer\)"):
        _client(server, tmp_path, timeout=5, deadline=60).companyfacts(SNOW_CIK)
    assert time.monotonic() - start < 10
    monkeypatch.setenv("KIT_SEC_DEADLINE", "soon")
    with pytest.raises(DataError, match="KIT_SEC_DEADLINE='soon': give a number of seconds"):
        _client(server, tmp_path)
