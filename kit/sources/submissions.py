"""SEC submissions documents (data.sec.gov/submissions/CIK##########.json): which 8-K is each
quarter's earnings release, when it was made public, and in which time zone the document
writes `acceptanceDateTime`.

**Which 8-K.** Not every 8-K with Item 2.02 is an earnings release (Tesla files its delivery
reports under it too). A quarter's release is the last Item 2.02 8-K (not an amendment)
accepted after the quarter ended and filed on or before the quarter's own 10-Q/10-K. A
quarter whose 10-Q/10-K is not in the document yet (the newest) takes its only Item 2.02
filing, and only for a company that filed exactly one per quarter in every quarter the
document shows with its report.

**When.** `acceptanceDateTime` ends in "Z" but is not always UTC: some documents write US
Eastern time (Murphy Oil's of 2022), most recent ones UTC (Microsoft's, Nvidia's of 2026),
and a document can mix them (Apple's). SEC dates a filing accepted from 17:30 Eastern on the
next business day (Regulation S-T, Rule 13), during EDGAR's hours of 06:00 to 22:00, so each
8-K, 10-Q and 10-K (the forms under that rule) tells which readings fit its `filingDate`. The
document's zone is the one that every filing fitting only one reading fits; a document with
filings that fit only UTC and others that fit only Eastern has no zone. A release's time of
day is taken from the filing only where the document has a zone and the filing's readings do
not disagree; otherwise the time is "not stated", unless another source states it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from kit import periods
from kit.sources.common import FILING_DAYS, last_quarter_end_before, read_json, sec_filing_url

OPEN, CLOSE = time(9, 30), time(16, 0)
EASTERN = ZoneInfo("America/New_York")
ZONES = {"UTC": UTC, "US Eastern": EASTERN}
CUTOFF = time(17, 30)  # accepted from then on: dated the next business day
GRACE = timedelta(minutes=10)  # the date is set on receipt, a few minutes before acceptance
EDGAR_HOURS = (time(6, 0), time(22, 0))
RULE_FORMS = {"8-K", "8-K/A", "10-Q", "10-Q/A", "10-K", "10-K/A"}
REPORTS = {"10-Q", "10-K"}
COLUMNS = ("form", "items", "acceptanceDateTime", "filingDate", "reportDate",
           "accessionNumber", "primaryDocument")


def timing(local: datetime) -> str:
    """before_open, during_session or after_close, for a US Eastern time of day."""
    if local.time() < OPEN:
        return "before_open"
    return "after_close" if local.time() >= CLOSE else "during_session"


def filings(doc: dict, folder: Path | None = None) -> list[dict]:
    """Every filing of a submissions document: `filings.recent`, and the older ones of each
    file `filings.files` lists that is in `folder` (SEC serves them beside the document)."""
    tables = [doc.get("filings", {}).get("recent", {})]
    for listed in doc.get("filings", {}).get("files", []):
        path = folder / listed["name"] if folder is not None else None
        if path is not None and path.is_file():
            tables.append(read_json(path))
    out = []
    for t in tables:
        for values in zip(*(t.get(c, [""] * len(t.get("form", []))) for c in COLUMNS)):
            f = dict(zip(COLUMNS, values))
            f["accepted"] = datetime.fromisoformat(
                f["acceptanceDateTime"].removesuffix("Z").split(".")[0])
            f["filed"] = date.fromisoformat(f["filingDate"])
            out.append(f)
    return sorted({f["accessionNumber"]: f for f in out}.values(), key=lambda f: f["accepted"])


@cache
def _holidays() -> frozenset[date]:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    return frozenset(d.date() for d in USFederalHolidayCalendar().holidays("1990", "2040"))


def _business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays()


def local_time(f: dict, zone: str) -> datetime:
    """The filing's acceptance time in US Eastern, reading `acceptanceDateTime` in `zone`."""
    return f["accepted"].replace(tzinfo=ZONES[zone]).astimezone(EASTERN).replace(tzinfo=None)


def fits(f: dict, zone: str) -> bool:
    """Whether reading the filing's acceptance time in `zone` gives its `filingDate`: the
    same business day before 17:30 Eastern, else the next business day, within EDGAR's
    hours."""
    local = local_time(f, zone)
    if not EDGAR_HOURS[0] <= local.time() < EDGAR_HOURS[1]:
        return False
    day, cutoff = local.date(), datetime.combine(local.date(), CUTOFF)
    if f["filed"] == day:
        return _business_day(day) and local < cutoff + GRACE
    following = day + timedelta(days=1)
    while not _business_day(following):
        following += timedelta(days=1)
    return f["filed"] == following and (local >= cutoff or not _business_day(day))


def document_zone(found: list[dict]) -> tuple[str | None, str]:
    """(the document's zone or None, the evidence in words), from its 8-K, 10-Q and 10-K."""
    only = {zone: 0 for zone in ZONES}
    both = neither = 0
    for f in found:
        if f["form"] not in RULE_FORMS:
            continue
        fitting = [zone for zone in ZONES if fits(f, zone)]
        if len(fitting) == 1:
            only[fitting[0]] += 1
        elif fitting:
            both += 1
        else:
            neither += 1
    words = (f"of its {sum(only.values()) + both + neither} 8-K, 10-Q and 10-K filings, "
             + ", ".join(f"{n} fit only {zone}" for zone, n in only.items())
             + f", {both} fit both, {neither} neither (a filing-date adjustment)")
    zones = [zone for zone, n in only.items() if n]
    return (zones[0] if len(zones) == 1 else None), words


def release_rows(doc: dict, company: dict, folder: Path | None = None) -> list[dict]:
    """One row per fiscal quarter whose earnings release the document identifies (see the
    module's docstring), dated and timed as established, linked to its filing on sec.gov."""
    fye, cik = company["fiscal_year_end"], int(company["cik"])
    found = filings(doc, folder)
    zone, evidence = document_zone(found)
    reports: dict[date, dict] = {}
    for f in found:
        if f["form"] in REPORTS and f["reportDate"]:
            reports.setdefault(date.fromisoformat(f["reportDate"]), f)  # the first filed
    by_quarter: dict[date, list[dict]] = {}
    for f in found:
        if f["form"] == "8-K" and "2.02" in str(f["items"]).split(","):
            end = last_quarter_end_before(_readings(f)[0].date(), fye)
            by_quarter.setdefault(end, []).append(f)
    windows = {end: [f for f in fs if f["filed"] <= reports[end]["filed"]]
               for end, fs in by_quarter.items() if end in reports}
    one_each = bool(windows) and all(len(fs) == 1 for fs in windows.values())
    newest = max((f["filed"] for f in found), default=None)
    rows = []
    for end, candidates in sorted(by_quarter.items()):
        if end in windows:
            if not windows[end]:
                continue
            chosen, report = windows[end][-1], reports[end]
            how = (f"the last 8-K with Item 2.02 after the quarter ended, on or before its "
                   f"{report['form']} (filed {report['filingDate']})")
        elif one_each and len(candidates) == 1 and newest <= end + timedelta(
                days=FILING_DAYS["10-K"]):
            chosen = candidates[0]
            how = ("the only 8-K with Item 2.02 after the quarter ended; its 10-Q/10-K is not "
                   "in the document yet, and every earlier quarter had exactly one")
        else:
            continue
        others = [f["filingDate"] for f in candidates if f is not chosen]
        fy, q = periods.fiscal_period(end, fye)
        released, when, basis, said = _dated(chosen, zone, evidence)
        folder_url = sec_filing_url(cik, chosen["accessionNumber"])
        rows.append(dict(
            fiscal_year=fy, fiscal_quarter=q, release_date=released, timing=when,
            timing_basis=basis, source_id="sec_submissions", source_url=folder_url,
            accession_number=chosen["accessionNumber"],
            exhibit_url="", note=f"8-K {chosen['accessionNumber']}: {how}; {said}"
            + (f"; not the release: other Item 2.02 filings of {', '.join(others)}"
               if others else "")))
    return rows


def _readings(f: dict) -> list[datetime]:
    """The filing's Eastern acceptance time under each zone that fits it (both where none
    fits: the filing date was adjusted)."""
    fitting = [zone for zone in ZONES if fits(f, zone)] or list(ZONES)
    return [local_time(f, zone) for zone in fitting]


def _dated(f: dict, zone: str | None, evidence: str) -> tuple[date, str, str, str]:
    """(release date, timing or "", timing_basis, the reason in words) of one filing."""
    accepted = f"acceptanceDateTime {f['acceptanceDateTime']}, filingDate {f['filingDate']}"
    if zone is not None and fits(f, zone):
        local = local_time(f, zone)
        readings = {(r.date(), timing(r)) for r in _readings(f)}
        if len(readings) == 1:
            return local.date(), timing(local), "filing_time", (
                f"accepted {local:%Y-%m-%d %H:%M} US Eastern ({accepted}, read as {zone}: "
                f"{evidence})")
        why = "read as UTC and as US Eastern it fits its filing date, with different times"
    elif zone is not None:
        why = f"its time does not fit its filing date read as {zone}, the document's zone"
    else:
        why = f"the document has no single time zone ({evidence})"
    days = {r.date() for r in _readings(f)}
    day = days.pop() if len(days) == 1 else f["filed"]
    return day, "", "not_stated", f"time not stated: {accepted}; {why}"
