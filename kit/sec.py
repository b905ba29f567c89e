"""Refresh from SEC EDGAR: download companyfacts documents politely, cache them, rebuild data/.

SEC's fair-access rules: every request names the user in its User-Agent, at most 10 requests
a second, back off when told to. https://www.sec.gov/os/accessing-edgar-data
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from kit import atomic, data, paths, periods, sources
from kit.errors import FetchError
from kit.schema import BENCHMARK, DataError
from kit.sources import additions, companyfacts, exhibits, pipeline, prices, yahoo
from kit.sources.prices import from_file

BASE_URL = "https://data.sec.gov"  # companyfacts and submissions
WWW_URL = "https://www.sec.gov"  # /files/company_tickers.json, /Archives/ (filings)
MAX_AGE_HOURS = 24.0
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_BYTES = 256 * 2**20  # the largest companyfacts documents are tens of MiB
TOTAL_ENV, TOTAL_SECONDS = "KIT_SEC_DEADLINE", 300.0  # one document, every attempt together


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if not value > 0:
        raise DataError(f"{name}={raw!r}: give a number of seconds above 0 (default "
                        f"{default:g})")
    return value
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    """The `sec` folder of the kit's cache (kit.paths.cache_dir)."""
    return data.cache_dir() / "sec"


class Client:
    """GET JSON from SEC with a User-Agent, a rate limit, retries with backoff, a timeout per
    read and a deadline per request, a size limit, gzip, and an on-disk cache (a document
    younger than `max_age_hours` is read from disk). A document is checked (`check`) before
    it is used or cached."""

    def __init__(self, agent: str, base_url: str | None = None, cache: Path | None = None,
                 max_age_hours: float = MAX_AGE_HOURS, timeout: float = 30, retries: int = 4,
                 backoff: float = 1.0, per_second: float = 10, log=print,
                 deadline: float = 120, max_bytes: int = MAX_BYTES, max_wait: float = 300):
        self.agent = agent
        # One server for every path ($KIT_SEC_BASE_URL: a test server or an offline mirror),
        # else SEC's own two hosts.
        self.base_url = (base_url or os.environ.get("KIT_SEC_BASE_URL") or "").rstrip("/")
        self.cache = Path(cache or cache_dir())
        self.max_age = max_age_hours * 3600
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.deadline, self.max_bytes, self.max_wait = deadline, max_bytes, max_wait
        self.total = _seconds(TOTAL_ENV, TOTAL_SECONDS)  # for one document, all attempts
        self.interval = 1 / per_second
        self.requests = 0
        self.cache_hits = 0
        self._last = 0.0
        self.log = log

    def get_json(self, path: str, check=lambda doc: None) -> dict:
        """The document at `path`, parsed (finite numbers only) and passed to `check`, which
        raises FetchError for a document of the wrong shape; only then is it cached."""
        return self.get(path, _parse, check, "application/json")

    def get_text(self, path: str) -> str:
        """The HTML or text document at `path` (an exhibit), cached as the JSON ones are."""
        return self.get(path, lambda body: body.decode("utf-8"), lambda doc: None,
                        "text/html, text/plain")

    def get(self, path: str, parse, check, accept: str):
        """The document at `path`: fetched (or read from the cache), `parse`d, `check`ed,
        then cached."""
        cached = self.folder() / path.strip("/").replace("/", "_")
        if cached.is_file() and time.time() - cached.stat().st_mtime < self.max_age:
            try:
                doc = parse(cached.read_bytes())
                check(doc)
                self.cache_hits += 1
                return doc
            except (ValueError, UnicodeDecodeError, FetchError):
                cached.unlink(missing_ok=True)  # not a good copy: fetch it again
        url = self.url(path)
        end = time.monotonic() + self.total
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2 ** attempt
            try:
                body = self._get(url, accept, min(self.deadline, end - time.monotonic()))
                doc = parse(body)
                break
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    raise NotFound(f"{url}: HTTP 404 Not Found") from None
                if err.code not in RETRY_STATUS:
                    raise FetchError(f"{url}: HTTP {err.code} {err.reason}") from None
                problem = f"HTTP {err.code}"
                asked = retry_after(err.headers.get("Retry-After"))
                if asked > self.max_wait:
                    raise FetchError(f"{url}: HTTP {err.code}, and the server asks to wait "
                                     f"{asked:.0f} s; try again later") from None
                wait = max(wait, asked)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError,
                    http.client.HTTPException) as err:
                problem = f"{type(err).__name__}: {err}"
            except (ValueError, UnicodeDecodeError) as err:
                problem = f"not a valid {accept.split(',')[0]} document ({err})"
            if attempt == self.retries:
                raise FetchError(f"{url}: {problem}, after {attempt + 1} attempts")
            if time.monotonic() + wait >= end:
                raise FetchError(f"{url}: {problem}; no complete document within {self.total:g} s "
                                 f"over {attempt + 1} attempt(s) (${TOTAL_ENV} allows longer)")
            self.log(f"{url}: {problem}; retrying in {wait:g} s")
            time.sleep(wait)
        check(doc)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + f".{os.getpid()}.part")
        try:
            tmp.write_bytes(body)  # the response as received (decoded), once it checked
            os.replace(tmp, cached)
        except OSError as err:  # the cache is an aid: without it the refresh goes on
            tmp.unlink(missing_ok=True)
            self.log(f"note: cannot cache {url} in {self.cache}: {err.strerror}")
        return doc

    def folder(self) -> Path:
        """Where this client caches: SEC's documents in the cache folder itself, another
        server's (KIT_SEC_BASE_URL) in a folder named for its URL, so that two servers never
        serve each other's copies."""
        if not self.base_url:
            return self.cache
        return self.cache / f"server-{hashlib.sha256(self.base_url.encode()).hexdigest()[:16]}"

    def url(self, path: str) -> str:
        if self.base_url:
            return self.base_url + path
        return (WWW_URL if path.startswith(("/files/", "/Archives/")) else BASE_URL) + path

    def _get(self, url: str, accept: str = "application/json",
             within: float | None = None) -> bytes:
        pause = self._last + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()
        self.requests += 1
        req = urllib.request.Request(url, headers={"User-Agent": self.agent,
                                                   "Accept": accept,
                                                   "Accept-Encoding": "gzip"})
        within = self.deadline if within is None else within
        deadline = time.monotonic() + within
        with urllib.request.urlopen(req, timeout=self.timeout) as res:
            sock = getattr(getattr(res.fp, "raw", None), "_sock", None)
            chunks, size = [], 0
            while True:
                left = deadline - time.monotonic()
                late = TimeoutError(f"no complete response within {within:g} s")
                if left <= 0:
                    raise late
                if sock is not None:
                    sock.settimeout(min(self.timeout, left))
                try:
                    chunk = res.read1(65536)
                except TimeoutError:
                    if left < self.timeout:  # the deadline, not a silent server, ran out
                        raise late from None
                    raise
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"{url}: the response is larger than "
                                     f"{self.max_bytes / 2**20:g} MiB; not used")
                chunks.append(chunk)
            if res.length:  # the server closed before the length it announced
                raise http.client.IncompleteRead(b"".join(chunks), res.length)
            body = b"".join(chunks)
            if res.headers.get("Content-Encoding", "").lower() == "gzip":
                body = _gunzip(body, self.max_bytes, url)
            return body

    def companyfacts(self, cik: str) -> dict:
        return self.get_json(f"/api/xbrl/companyfacts/CIK{int(cik):010d}.json",
                             lambda doc: check_companyfacts(doc, cik))

    def submissions(self, cik: str) -> dict:
        return self.get_json(f"/submissions/CIK{int(cik):010d}.json",
                             lambda doc: check_submissions(doc, cik))

    def tickers(self) -> dict[str, dict]:
        """SEC's ticker table, {TICKER: {"cik_str", "ticker", "title"}}."""
        doc = self.get_json("/files/company_tickers.json", check_tickers)
        return {row["ticker"].upper(): row for row in doc.values()}


class NotFound(FetchError):
    """The server has no such document (HTTP 404)."""


def _parse(body: bytes):
    """JSON with finite numbers only (ValueError otherwise: 1e400, NaN, Infinity)."""
    return json.loads(body, parse_float=sources.finite_float,
                      parse_constant=sources.finite_float)


def _gunzip(body: bytes, limit: int, url: str) -> bytes:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(body, limit + 1)
    except zlib.error as err:
        raise ValueError(f"a gzip body that does not decode ({err})") from None
    if len(out) > limit:
        raise FetchError(f"{url}: the response is larger than {limit / 2**20:g} MiB once "
                         "decompressed; not used")
    return out


def retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    text = (value or "").strip()
    if not text:
        return 0.0
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def check_companyfacts(doc, cik: str) -> None:
    """FetchError naming the first field of `doc` that is not what a companyfacts document
    has: an object with `facts` -> taxonomy -> concept -> `units` -> unit -> list of facts,
    each with `end` and `filed` dates, a numeric `val`, a `form` and an `accn`."""
    def bad(where: str, what: str):
        raise FetchError(f"companyfacts for CIK {cik}: {where} {what}; the document is not "
                         "used and not cached")

    if not isinstance(doc, dict):
        bad("the document", "is not a JSON object")
    if "cik" in doc and str(doc["cik"]).lstrip("0") != str(int(cik)):
        bad("cik", f"is {doc['cik']!r}, not the CIK asked for")
    if not isinstance(doc.get("facts"), dict):
        bad("facts", "is missing or not an object")
    for taxonomy, concepts in doc["facts"].items():
        if not isinstance(concepts, dict):
            bad(f"facts.{taxonomy}", "is not an object")
        for concept, body in concepts.items():
            where = f"facts.{taxonomy}.{concept}.units"
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, dict):
                bad(where, "is missing or not an object")
            for unit, facts in units.items():
                if not isinstance(facts, list):
                    bad(f"{where}.{unit}", "is not a list")
                for i, f in enumerate(facts):
                    _check_fact(f, f"{where}.{unit}[{i}]", bad)


def check_submissions(doc, cik: str) -> None:
    """FetchError unless `doc` has the shape of a submissions document: `filings.recent`
    with lists of equal length for the fields the kit reads."""
    filings = doc.get("filings") if isinstance(doc, dict) else None
    recent = filings.get("recent") if isinstance(filings, dict) else None
    columns = ("form", "items", "acceptanceDateTime", "filingDate", "accessionNumber",
               "primaryDocument")
    if not isinstance(recent, dict) or not all(isinstance(recent.get(c), list)
                                               for c in columns):
        raise FetchError(f"submissions for CIK {cik}: filings.recent lacks one of "
                         f"{', '.join(columns)}; the document is not used and not cached")
    if len({len(recent[c]) for c in columns}) != 1:
        raise FetchError(f"submissions for CIK {cik}: the lists of filings.recent differ in "
                         "length; the document is not used and not cached")
    for i, when in enumerate(recent["acceptanceDateTime"]):
        if not (isinstance(when, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", when)):
            raise FetchError(f"submissions for CIK {cik}: filings.recent.acceptanceDateTime[{i}] "
                             f"is {when!r}, not a date and time; the document is not used")


def check_tickers(doc) -> None:
    """FetchError unless `doc` is SEC's ticker table: rows with cik_str, ticker and title."""
    rows = doc.values() if isinstance(doc, dict) else None
    if not rows or not all(isinstance(r, dict) and isinstance(r.get("ticker"), str)
                           and isinstance(r.get("cik_str"), int) for r in rows):
        raise FetchError("company_tickers.json: not SEC's ticker table (rows of cik_str, "
                         "ticker, title); the document is not used and not cached")


def _check_fact(f, where: str, bad) -> None:
    if not isinstance(f, dict):
        bad(where, "is not an object")
    for key in ("end", "filed", *(("start",) if "start" in f else ())):
        if not (isinstance(f.get(key), str) and _DATE.fullmatch(f[key])):
            bad(f"{where}.{key}", f"is {f.get(key)!r}, not a date (YYYY-MM-DD)")
    val = f.get("val")
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        bad(f"{where}.val", f"is {val!r}, not a number")
    for key in ("form", "accn"):
        if not isinstance(f.get(key), str):
            bad(f"{where}.{key}", f"is {f.get(key)!r}, not text")


def refresh(tickers: list[str] | None = None, agent: str | None = None, *,
            client: Client | None = None, sources_dir=None, data_dir=None,
            companies=None, log=print, prices_fetch=None) -> Path:
    """Bring the named companies (default: all) forward from SEC and rebuild data/ with
    them; print what changed, then replace data/ in one step.

    For each company: its companyfacts and its submissions (releases told apart, dated,
    timed and linked by the kit's release rules); for each release whose 8-K is not in the
    data yet, the filing's index and its exhibit 99.1, whose sentences become sourced
    figures, outlooks and statements (kit.sources.exhibits); and the daily prices of the
    companies and of QQQ from Yahoo Finance (kit.sources.yahoo; `prices_fetch` stands in for
    yfinance.download), joined onto the prices the data has without a jump, or a note saying
    why not. A document SEC does not have
    (HTTP 404) is reported and the rest goes on. Only what was fetched changes: a company none
    of whose documents could be fetched keeps its data, and the refreshed rows of companies
    not named are kept. Any other failure is named with its reason (FetchError, after the
    rest is in place); if nothing could be fetched, data/ is left as it was."""
    companies = additions.companies() if companies is None else companies
    known = list(companies["ticker"])
    wanted = [t.strip().upper() for t in tickers] if tickers else known
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise DataError(f"unknown ticker(s) {', '.join(unknown)}; valid: {', '.join(known)}")
    out = atomic.check_data_folder(Path(data_dir or paths.output_data_dir()))
    client = client or Client(user_agent(agent), log=log)
    src = Path(sources_dir or paths.sources_dir())
    facts, submitted, failed, missing = {}, {}, {}, {}
    cik = dict(zip(companies["ticker"], companies["cik"]))
    for i, t in enumerate(wanted, start=1):
        log(f"[{i}/{len(wanted)}] {t}: companyfacts and submissions of CIK{int(cik[t]):010d}")
        for kind, get, found in (("companyfacts", client.companyfacts, facts),
                                 ("submissions", client.submissions, submitted)):
            try:
                found[t] = get(cik[t])
            except NotFound as err:
                log(f"note: {t}: no {kind} document ({err}); its earlier data is kept")
                missing.setdefault(t, []).append(str(err))
            except FetchError as err:
                failed.setdefault(t, []).append(str(err))
    with atomic.writing(out, log):  # from reading the data folder to replacing it
        return _refreshed(out, src, client, companies, wanted, facts, submitted, failed,
                          missing, log, prices_fetch)


def _refreshed(out, src, client, companies, wanted, facts, submitted, failed, missing, log,
               prices_fetch) -> Path:
    before = pipeline.read_tables(out) or pipeline.read_tables(paths.data_dir())
    tables = sources.build_tables(src, log=log, companies=companies, facts=facts,
                                  kept=_earlier_rows(before, set(facts)), submitted=submitted,
                                  kept_releases=_earlier_releases(before, set(submitted)))
    tables = _with_releases_read(client, tables, before, set(submitted), failed, log)
    log(f"{client.requests} request(s) to SEC, {client.cache_hits} document(s) from the cache")
    tables, priced = _with_prices(tables, before, wanted, log, prices_fetch)
    if not facts and not submitted and not priced:
        problems = "\n  ".join(f"{t}: {'; '.join(why)}" for t, why in
                               {**missing, **failed}.items())
        raise FetchError(f"refresh failed; data/ left unchanged:\n  {problems}")
    path = pipeline.write(pipeline.merge(tables, pipeline.added_tables(
        out, exclude=set(tables["companies"]["ticker"]))), out, log)
    if failed:
        problems = "\n  ".join(f"{t}: {'; '.join(why)}" for t, why in failed.items())
        raise FetchError(f"refreshed {', '.join(sorted(set(facts) | set(submitted)))}; these "
                         f"failed and keep their earlier data:\n  {problems}")
    return path


def _with_prices(tables: dict, before: dict | None, tickers: list[str], log,
                 fetch=None) -> tuple[dict, bool]:
    """`tables` with the prices of an earlier refresh kept, and the closes Yahoo Finance has
    now for `tickers` and the benchmark joined onto them (sources.prices.joined); and
    whether any were. Any fault is a note: the prices the data has are kept."""
    have = data.validate_frame(tables["prices"], "prices")
    if before is not None:  # what earlier refreshes added after the shipped files end
        earlier = before["prices"][before["prices"]["source_id"] == "yahoo"]
        have = pd.concat([have, earlier]).drop_duplicates(["ticker", "price_date"])
    have = have.assign(price_date=have["price_date"].dt.date)
    wanted = [*tickers, BENCHMARK]
    last = have[have["ticker"].isin(wanted)].groupby("ticker")["price_date"].max()
    start = (min(last) if len(last) else date(2019, 1, 1)) - timedelta(days=30)
    try:
        frame = yahoo.download(wanted, start, fetch)
    except FetchError as err:
        log(f"note: {err}")
        return dict(tables, prices=have), False
    priced = False
    for t in wanted:
        try:
            new = yahoo.closes(frame, t)
            mine = have[have["ticker"] == t]
            rows = prices.joined(mine, new, "yahoo", f"Yahoo Finance's {t}", log) \
                if len(mine) else pd.DataFrame({"ticker": t, "price_date": list(new),
                                                "adj_close_usd": list(new.values()),
                                                "source_id": "yahoo", "scale_factor": None})
        except (FetchError, DataError) as err:
            log(f"note: {err}")
            continue
        added = rows["price_date"].max()
        log(f"{t}: prices to {added:%Y-%m-%d} ({(rows['source_id'] == 'yahoo').sum()} days "
            "from Yahoo Finance)")
        have = pd.concat([have[have["ticker"] != t], rows], ignore_index=True)
        priced = True
    return dict(tables, prices=have), priced


def _earlier_rows(before: dict | None, fetched: set[str]) -> pd.DataFrame | None:
    """The refreshed figures the data has: companyfacts rows of companies not fetched now,
    and every figure read from a release earlier (those releases are not read again)."""
    if before is None:
        return None
    fin = before["financials"]
    return fin[((fin["source_id"] == "sec_companyfacts") & ~fin["ticker"].isin(fetched))
               | (fin["source_id"] == "sec_exhibit")]


def _earlier_releases(before: dict | None, fetched: set[str]) -> pd.DataFrame | None:
    """Releases an earlier refresh took from SEC submissions, of companies not fetched now."""
    if before is None:
        return None
    rel = before["earnings_releases"]
    return rel[(rel["source_id"] == "sec_submissions") & ~rel["ticker"].isin(fetched)]


def _with_releases_read(client: Client, tables: dict, before: dict | None, fetched: set[str],
                        failed: dict, log) -> dict:
    """`tables` with what the releases say: for each release of a fetched company whose 8-K
    was not in the data, its filing's index and exhibit 99.1 are fetched and read (a missing
    one is reported); the rows earlier refreshes read are kept."""
    seen = set() if before is None else set(before["earnings_releases"]["accession_number"]
                                            .dropna())
    rel = tables["earnings_releases"]
    new = rel[rel["ticker"].isin(fetched) & rel["accession_number"].notna()
              & (rel["accession_number"] != "") & ~rel["accession_number"].isin(seen)]
    companies = tables["companies"].set_index("ticker")
    found: dict[str, list] = {"financials": [], "capex_guidance": [], "statements": [],
                              "release_sentences": []}
    for r in new.to_dict("records"):
        c = companies.loc[r["ticker"]]
        day = pd.Timestamp(r["release_date"])
        which = f"{r['ticker']} release of {day:%Y-%m-%d}"
        folder = f"/Archives/edgar/data/{int(c['cik'])}/{r['accession_number'].replace('-', '')}"
        try:
            name = exhibits.exhibit_name(client.get_json(f"{folder}/index.json"))
            if name is None:
                log(f"note: {which}: no exhibit 99.1 among the documents of "
                    f"{client.url(folder + '/')}; not read")
                continue
            html = client.get_text(f"{folder}/{name}")
        except NotFound as err:
            log(f"note: {which}: {err}; not read")
            continue
        except FetchError as err:
            failed.setdefault(r["ticker"], []).append(str(err))
            continue
        url = f"https://www.sec.gov{folder}/{name}"
        start, end = periods.fiscal_quarter_bounds(r["fiscal_year"], r["fiscal_quarter"],
                                                   c["fiscal_year_end"])
        rows = exhibits.release_rows(exhibits.extract(html), dict(
            r, release_date=day.date(), period_start_date=start,
            period_end_date=end, guidance_basis=c["guidance_basis"]
            if pd.notna(c["guidance_basis"]) else ""), url)
        log(f"{which}: " + ", ".join(f"{len(v)} {k}" for k, v in rows.items()) + f" ({url})")
        if rows["financials"]:
            rows["financials"] = pipeline.financials(
                None, dict(c, ticker=r["ticker"]), rel, None, rows["financials"])
        for k, v in rows.items():
            found[k].append(pd.DataFrame(v))
    out = dict(tables)
    for name, parts in found.items():
        earlier = before[name][before[name]["source_id"] == "sec_exhibit"] \
            if before is not None and name != "financials" else None  # figures: `kept`
        frames = [data.validate_frame(f, name) for f in [*parts, earlier]
                  if f is not None and len(f)]
        if frames:
            out[name] = pd.concat([data.validate_frame(out[name], name), *frames],
                                  ignore_index=True)
    return out


ADDED_DEFINITION = (
    "Purchases of property and equipment from SEC companyfacts: for each period the first XBRL "
    "concept of the kit's ordered list that has a value ("
    + ", then ".join(c.replace("+", " + ") for c in
                     companyfacts.CONCEPTS["purchases_of_property_and_equipment"])
    + "; named on each row)")


def add(tickers: list[str], agent: str | None = None, *, client: Client | None = None,
        data_dir=None, prices=None, log=print) -> Path:
    """Add companies from SEC EDGAR: ticker -> CIK from SEC's ticker table, figures from
    companyfacts, release dates from the 8-K Item 2.02 filings of submissions (a company
    without a submissions document is added without them, and the log says so), prices from
    the file `prices` (one company only). The data folder is replaced in one step with what
    changed logged; on any failure it is left as it was."""
    wanted = list(dict.fromkeys(t.strip().upper() for t in tickers))
    if prices is not None and len(wanted) != 1:
        raise DataError("--prices gives the prices of one company; add the others separately")
    out = atomic.check_data_folder(Path(data_dir or paths.output_data_dir()))
    tables = pipeline.read_tables(out) or pipeline.read_tables(paths.data_dir())
    if tables is None:
        raise DataError(f"{out}: no data to add to; run `kit data build` first")
    companies = tables["companies"]
    shipped = set(companies["ticker"]) - pipeline.added(companies)
    if shipped & set(wanted):
        raise DataError(f"{', '.join(sorted(shipped & set(wanted)))}: already covered by "
                        "additions/companies.csv; use `kit data refresh` to update it")
    price_rows = from_file(prices, wanted[0], log=log) if prices is not None else None
    client = client or Client(user_agent(agent), log=log)
    table = client.tickers()
    unknown = [t for t in wanted if t not in table]
    if unknown:
        hints = [f"SEC writes {t} as {t.replace('.', '-')}" for t in unknown
                 if "." in t and t.replace(".", "-") in table]
        raise DataError(f"unknown ticker(s) {', '.join(unknown)}: not in SEC's ticker table "
                        f"({client.url('/files/company_tickers.json')}); "
                        + ("; ".join(hints) if hints else "check the spelling"))
    parts = []
    for i, t in enumerate(wanted, start=1):
        cik = f"{table[t]['cik_str']:010d}"
        log(f"[{i}/{len(wanted)}] {t}: companyfacts and submissions of CIK{cik}")
        facts = client.companyfacts(cik)
        for note in companyfacts.check_usable(facts, t):
            log(f"note: {note}")
        try:
            submitted = client.submissions(cik)
        except NotFound as err:
            submitted = None
            log(f"note: {t}: no submissions document ({err}): added without earnings release "
                "dates, so its figures are dated by their 10-Q/10-K filings and its briefing "
                "has no stock reactions")
        spans = companyfacts.report_spans(facts)
        company = dict(ticker=t, company_name=table[t]["title"], cik=cik,
                       fiscal_year_end=companyfacts.fiscal_year_end(spans, t), capex_concept="",
                       capex_metric="purchases_of_property_and_equipment",
                       capex_definition=ADDED_DEFINITION, guidance_basis="",
                       guidance_basis_note="", added_from="sec",
                       source_url=f"https://data.sec.gov/submissions/CIK{cik}.json")
        off = companyfacts.off_calendar(spans, company["fiscal_year_end"])
        if off:
            log(f"note: {t}: {len(off)} quarter(s) in its filings end off its fiscal calendar "
                f"{company['fiscal_year_end']} and are left out (latest: "
                f"{', '.join(map(str, off[-3:]))})")
        found = pipeline.company_tables(company, facts, submitted,
                                        price_rows if i == 1 else None)
        fin = found["financials"]
        log(f"{t}: {table[t]['title']}, fiscal year ends {company['fiscal_year_end']}; "
            f"{fin['period_end_date'].nunique()} quarters, "
            f"{len(found['earnings_releases'])} release dates, {len(found['prices'])} prices")
        parts.append(found)
    log(f"{client.requests} request(s) to SEC, {client.cache_hits} document(s) from the cache")
    with atomic.writing(out, log):  # downloads done; the folder as it is now, then the swap
        tables = pipeline.read_tables(out) or tables
        kept = pipeline.without(tables, wanted)
        for found in parts:
            kept = pipeline.merge(kept, found)
        return pipeline.write(kept, out, log)

