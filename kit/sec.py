"""Refresh from SEC EDGAR: download companyfacts documents politely, cache them, rebuild data/.

SEC's fair-access rules: every request names the user in its User-Agent, at most 10 requests
a second, back off when told to. https://www.sec.gov/os/accessing-edgar-data
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from kit import data, sources
from kit.errors import FetchError
from kit.schema import DataError

BASE_URL = "https://data.sec.gov"
MAX_AGE_HOURS = 24.0
RETRY_STATUS = {429, 500, 502, 503, 504}


def user_agent(value: str | None = None) -> str:
    """The User-Agent to send: `value`, else $KIT_SEC_USER_AGENT. SEC wants a name and an
    email address; anything without an '@' is refused here before a request is made."""
    agent = (value or os.environ.get("KIT_SEC_USER_AGENT") or "").strip()
    if "@" not in agent:
        raise DataError("SEC EDGAR requires a User-Agent naming you, e.g. "
                        "'Jane Analyst jane@example.com': set KIT_SEC_USER_AGENT or pass "
                        "--user-agent" + (f" (got {agent!r})" if agent else ""))
    return agent


def cache_dir() -> Path:
    """The `sec` folder of the kit's cache ($KIT_CACHE_DIR, else ~/.cache/kit)."""
    return data.cache_dir() / "sec"


class Client:
    """GET JSON from SEC with a User-Agent, a rate limit, retries with backoff, timeouts and
    an on-disk cache (a document younger than `max_age_hours` is read from disk)."""

    def __init__(self, agent: str, base_url: str | None = None, cache: Path | None = None,
                 max_age_hours: float = MAX_AGE_HOURS, timeout: float = 30, retries: int = 4,
                 backoff: float = 1.0, per_second: float = 10, log=print):
        self.agent = agent
        self.base_url = (base_url or os.environ.get("KIT_SEC_BASE_URL") or BASE_URL).rstrip("/")
        self.cache = Path(cache or cache_dir())
        self.max_age = max_age_hours * 3600
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.interval = 1 / per_second
        self.requests = 0
        self.cache_hits = 0
        self._last = 0.0
        self.log = log

    def get_json(self, path: str) -> dict:
        cached = self.cache / path.strip("/").replace("/", "_")
        if cached.is_file() and time.time() - cached.stat().st_mtime < self.max_age:
            self.cache_hits += 1
            return json.loads(cached.read_text())
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2 ** attempt
            try:
                body = self._get(url)
                doc = json.loads(body)
                break
            except urllib.error.HTTPError as err:
                if err.code not in RETRY_STATUS:
                    raise FetchError(f"{url}: HTTP {err.code} {err.reason}") from None
                problem = f"HTTP {err.code}"
                wait = max(wait, float(err.headers.get("Retry-After") or 0))
            except (urllib.error.URLError, TimeoutError, ConnectionError,
                    http.client.HTTPException) as err:
                problem = f"{type(err).__name__}: {err}"
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                problem = f"not valid JSON ({err})"
            if attempt == self.retries:
                raise FetchError(f"{url}: {problem}, after {attempt + 1} attempts")
            self.log(f"{url}: {problem}; retrying in {wait:g} s")
            time.sleep(wait)
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + ".part")
        tmp.write_bytes(body)  # the response exactly as received, once it parsed
        os.replace(tmp, cached)
        return doc

    def _get(self, url: str) -> bytes:
        pause = self._last + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()
        self.requests += 1
        req = urllib.request.Request(url, headers={"User-Agent": self.agent,
                                                   "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as res:
            return res.read()  # raises IncompleteRead when the body is cut short

    def companyfacts(self, cik: str) -> dict:
        doc = self.get_json(f"/api/xbrl/companyfacts/CIK{int(cik):010d}.json")
        if "facts" not in doc:
            raise FetchError(f"companyfacts for CIK {cik}: no 'facts' in the document")
        return doc


def refresh(tickers: list[str] | None = None, agent: str | None = None, *,
            client: Client | None = None, sources_dir=None, data_dir=None,
            companies=None, log=print) -> Path:
    """Download the companyfacts of `tickers` (default: all), rebuild data/ with them, print
    what changed, then replace data/ in one step. Any failure leaves data/ as it was."""
    companies = sources._companies() if companies is None else companies
    known = list(companies["ticker"])
    wanted = [t.strip().upper() for t in tickers] if tickers else known
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise DataError(f"unknown ticker(s) {', '.join(unknown)}; valid: {', '.join(known)}")
    client = client or Client(user_agent(agent), log=log)
    facts, failed = {}, []
    cik = dict(zip(companies["ticker"], companies["cik"]))
    for i, t in enumerate(wanted, start=1):
        log(f"[{i}/{len(wanted)}] {t}: companyfacts CIK{int(cik[t]):010d}")
        try:
            facts[t] = client.companyfacts(cik[t])
        except FetchError as err:
            failed.append(f"{t}: {err}")
    if failed:
        raise FetchError("refresh failed; data/ left unchanged:\n  " + "\n  ".join(failed))
    log(f"{client.requests} request(s) to SEC, {client.cache_hits} document(s) from the cache")
    return sources.build(sources_dir, data_dir, log=log, facts=facts, companies=companies)
