"""SEC submissions documents (data.sec.gov/submissions/CIK##########.json): earnings release
dates from 8-K filings with Item 2.02, timed by the filing's `acceptanceDateTime`.

SEC writes `acceptanceDateTime` in US Eastern time although it ends in "Z": accepted before
09:30 is before the open, from 16:00 after the close, in between during the session. The time
is the filing's, which may differ from the release's own by minutes (or, for a release sent
out first and filed later, more): the note on each row says so.
"""

from __future__ import annotations

from datetime import datetime, time

from kit import periods
from kit.sources.common import last_quarter_end_before

OPEN, CLOSE = time(9, 30), time(16, 0)


def timing(accepted: datetime) -> str:
    if accepted.time() < OPEN:
        return "before_open"
    return "after_close" if accepted.time() >= CLOSE else "during_session"


def release_rows(doc: dict, company: dict) -> list[dict]:
    """One row per fiscal quarter: the first 8-K (not an amendment) with Item 2.02 filed after
    the quarter ended, for the last fiscal quarter that ended before it. Later Item 2.02
    filings for the same quarter are named in the note. Only `filings.recent` is read (SEC
    moves older filings to further files)."""
    fye, cik = company["fiscal_year_end"], int(company["cik"])
    recent = doc.get("filings", {}).get("recent", {})
    columns = ("form", "items", "acceptanceDateTime", "filingDate", "accessionNumber",
               "primaryDocument")
    filings = [dict(zip(columns, values)) for values in zip(*(recent.get(c, []) for c in columns))]
    by_quarter: dict[tuple[int, int], list[dict]] = {}
    for f in filings:
        if f["form"] != "8-K" or "2.02" not in str(f["items"]).split(","):
            continue
        accepted = datetime.fromisoformat(f["acceptanceDateTime"].removesuffix("Z")
                                          .split(".")[0])  # US Eastern, whatever the "Z" says
        end = last_quarter_end_before(accepted.date(), fye)
        by_quarter.setdefault(periods.fiscal_period(end, fye), []).append(
            dict(f, accepted=accepted))
    rows = []
    for (fy, q), found in sorted(by_quarter.items()):
        first, *later = sorted(found, key=lambda f: f["accepted"])
        folder = first["accessionNumber"].replace("-", "")
        note = (f"8-K Item 2.02 accepted by SEC {first['accepted']:%Y-%m-%d %H:%M} US Eastern "
                f"(filing date {first['filingDate']}); timing from the filing time")
        if later:
            note += "; later Item 2.02 filings for the quarter: " + ", ".join(
                f"{f['accepted']:%Y-%m-%d}" for f in later)
        rows.append(dict(fiscal_year=fy, fiscal_quarter=q, release_date=first["accepted"].date(),
                         timing=timing(first["accepted"]), source_id="sec_submissions",
                         source_url=f"https://www.sec.gov/Archives/edgar/data/{cik}/{folder}/"
                                    f"{first['primaryDocument']}",
                         date_check="single_source", note=note))
    return rows
