"""SEC refresh against a local server replaying the recorded Snowflake companyfacts document
(../shared/sources/sec_companyfacts/), with faults injected on request."""

import http.server
import json
import re
import socket
import struct
import threading
import time
from datetime import date

import pandas as pd
import pytest

from kit import periods, sec, sources
from kit.data import load_table
from kit.schema import DataError

SNOW_CIK = "0001640147"
AGENT = "Kit Tests kit-tests@example.com"


@pytest.fixture(scope="module")
def snow_doc(sources_dir):
    return (sources_dir / "sec_companyfacts" / f"CIK{SNOW_CIK}.json").read_bytes()


@pytest.fixture
def server(snow_doc):
    """A local HTTP server. `faults` is a list of what to answer, in order, before the real
    document: an HTTP status, 'truncated' (Content-Length longer than the body) or 'invalid'
    (not JSON). `seen` records each request's path and User-Agent."""
    state = {"faults": [], "seen": [], "forever": None}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["seen"].append((self.path, self.headers.get("User-Agent")))
            fault = state["faults"].pop(0) if state["faults"] else state["forever"]
            if fault == "hang":  # answer only after the client has given up
                time.sleep(1.5)
                fault = state["forever"] if state["forever"] != "hang" else None
            if self.path != f"/api/xbrl/companyfacts/CIK{SNOW_CIK}.json":
                fault = 404
            if isinstance(fault, int):
                self.send_response(fault)
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            body = b'{"cik": 1640147, "facts": {' if fault == "invalid" else snow_doc
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
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
            self.wfile.write(body[: len(body) // 2] if fault == "truncated" else body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
    return pd.concat([sources._companies(), pd.DataFrame([snow])], ignore_index=True)


def _refresh(server, tmp_path, sources_dir, **kw):
    lines = []
    out = sec.refresh(["snow"], client=_client(server, tmp_path, **kw),
                      sources_dir=sources_dir, data_dir=tmp_path / "data",
                      companies=_companies(), log=lines.append)
    return out, lines


def _existing_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "financials.csv").write_text("keep me")
    return data


def test_refresh_builds_snowflake_quarters_with_first_filed_dates(server, tmp_path,
                                                                   sources_dir):
    out, lines = _refresh(server, tmp_path, sources_dir)
    assert server["seen"] == [(f"/api/xbrl/companyfacts/CIK{SNOW_CIK}.json", AGENT)]
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
    assert "1 request(s) to SEC, 0 document(s) from the cache" in lines


def test_second_refresh_within_the_cache_period_makes_no_request(server, tmp_path,
                                                                   sources_dir):
    _refresh(server, tmp_path, sources_dir)
    _, lines = _refresh(server, tmp_path, sources_dir)
    assert len(server["seen"]) == 1
    assert "0 request(s) to SEC, 1 document(s) from the cache" in lines
    assert "changes: 0 new quarter figures, 0 revised" in lines


def test_an_expired_cache_is_fetched_again(server, tmp_path, sources_dir):
    _refresh(server, tmp_path, sources_dir)
    _refresh(server, tmp_path, sources_dir, max_age_hours=0)
    assert len(server["seen"]) == 2


@pytest.mark.robustness
def test_a_timeout_is_retried(server, tmp_path, sources_dir):
    server["faults"] = ["hang"]
    out, _ = _refresh(server, tmp_path, sources_dir, timeout=0.3)
    assert len(server["seen"]) == 2
    assert (out / "financials.csv").is_file()


@pytest.mark.robustness
def test_429_then_success_retries(server, tmp_path, sources_dir):
    server["faults"] = [429]
    out, _ = _refresh(server, tmp_path, sources_dir)
    assert len(server["seen"]) == 2
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
    assert len(server["seen"]) == 3
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
    rows = sources.facts_rows(json.loads(snow_doc), _companies().iloc[-1].to_dict(), "u")
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
    assert server["seen"] == [("/api/xbrl/companyfacts/CIK0001326801.json", AGENT)]


def test_refresh_prints_the_quarters_a_newer_document_adds(server, tmp_path, sources_dir,
                                                           snow_doc):
    # An older state of the same document: only what had been filed by 2024-06-30.
    doc = json.loads(snow_doc)
    for concept in doc["facts"]["us-gaap"].values():
        for unit, values in concept["units"].items():
            concept["units"][unit] = [f for f in values if f["filed"] <= "2024-06-30"]
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"api_xbrl_companyfacts_CIK{SNOW_CIK}.json").write_text(json.dumps(doc))
    _refresh(server, tmp_path, sources_dir)
    assert server["seen"] == []  # served from the cache
    _, lines = _refresh(server, tmp_path, sources_dir, max_age_hours=0)
    summary = next(line for line in lines if line.startswith("changes:"))
    assert summary != "changes: 0 new quarter figures, 0 revised"
    assert any(line.startswith("  new      SNOW purchases_of_property_and_equipment 2025-01-31")
               for line in lines)


def test_a_value_revised_by_a_later_filing_keeps_both_versions(snow_doc):
    # The recorded document has no revision; add one to a copy, as a later 10-K would.
    doc = json.loads(snow_doc)
    values = doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    quarter = next(f for f in values if (f["start"], f["end"]) == ("2024-02-01", "2024-04-30"))
    values.append({**quarter, "val": quarter["val"] + 5_000_000, "filed": "2025-06-01",
                   "accn": "revision-test", "form": "10-Q"})
    rows = [r for r in sources.facts_rows(doc, _companies().iloc[-1].to_dict(), "u")
            if r["metric"] == "purchases_of_property_and_equipment"
            and r["period_end_date"] == date(2024, 4, 30)]
    assert [(r["value_usd"], r["published_date"]) for r in rows] == [
        (quarter["val"], date.fromisoformat(quarter["filed"])),
        (quarter["val"] + 5_000_000, date(2025, 6, 1))]
    assert rows[1]["published_date_basis"].startswith("revised in 10-Q revision-test")
