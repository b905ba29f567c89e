"""press_releases/: quarterly figures extracted from 8-K EX-99.1 earnings releases, and the
8-K links that date them. Which folder and keys a company uses are columns of
additions/companies.csv: `press_folder`, `press_keys` ("metric=key; ..." in cash-flows.json:
capex outflows are negative there; operating and free cash flow, and depreciation, are as the
release states them) and `press_identity` ("operating - free [- lease]": the release's
own cash-flow identity, which checks its capex)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kit import periods
from kit.schema import CAPEX_METRICS, SIGNED_METRICS, DataError
from kit.sources.common import fact_row, parse_day, published, read_json

URL = "https://github.com/akiraak/ai-financial-analyst"


def folder(src: Path, company: dict) -> Path | None:
    name = company.get("press_folder") or ""
    return src / "press_releases" / name if name else None


def capex_keys(company: dict) -> dict[str, str]:
    """{metric: key of cash-flows.json} from `press_keys`."""
    pairs = [p.split("=") for p in (company.get("press_keys") or "").split(";") if p.strip()]
    return {m.strip(): k.strip() for m, k in pairs}


def identity_keys(company: dict) -> tuple[str, str, str | None] | None:
    """(operating cash flow, free cash flow, finance-lease principal or None) from
    `press_identity`, or None when the company has none."""
    keys = [k.strip() for k in (company.get("press_identity") or "").split(" - ") if k.strip()]
    if not keys:
        return None
    if len(keys) not in (2, 3):
        raise DataError(f"additions/companies.csv, {company['ticker']}, column press_identity: "
                        f"{company['press_identity']!r}; write 'operating - free [- lease]'")
    return keys[0], keys[1], keys[2] if len(keys) == 3 else None


def release_links(src: Path, company: dict) -> list[dict]:
    """The 8-K of each fiscal quarter's release, from quarterly-links.json where the folder has
    one: its date, accession number and exhibit 99.1 on sec.gov (no time of day)."""
    where = folder(src, company)
    path = where / "quarterly-links.json" if where else None
    if path is None or not path.is_file():
        return []
    name = f"press_releases/{company['press_folder']}/quarterly-links.json"
    return [dict(fiscal_year=int(link["fy"][2:]), fiscal_quarter=int(link["q"][1:]),
                 release_date=parse_day(link["date"]), timing="", timing_basis="not_stated",
                 source_id="press_releases", source_url=link["url"],
                 accession_number=link["adsh"], exhibit_url=link["url"],
                 date_check="single_source", note=f"8-K exhibit 99.1 linked in {name}")
            for link in read_json(path)]


def identity(flows: dict, keys: tuple[str, str, str | None]) -> tuple[int, str] | None:
    """Capex from the release's own cash-flow identity: operating cash flow minus free cash
    flow (minus finance-lease principal where the company's free cash flow subtracts it).
    None when an input is missing. Outflows are negative in the source."""
    ocf, fcf, lease = keys
    if flows.get(ocf) is None or flows.get(fcf) is None or (lease and flows.get(lease) is None):
        return None
    value = flows[ocf] - flows[fcf] + (flows[lease] if lease else 0)
    detail = f"{ocf} {flows[ocf]:,}M minus {fcf} {flows[fcf]:,}M" + (
        f" minus {lease} {-flows[lease]:,}M" if lease else "")
    return value, detail


def press_rows(src: Path, company: dict, release_on: dict, listed: date | None) -> list[dict]:
    """Figures from the press-release extract. Capex is checked against the release's own
    cash-flow identity: a figure that fails it is kept but flagged, and the identity's value
    (which reconciles) is added beside it; where capex is missing the identity supplies it.
    A company whose releases have no capex line (no key for purchases of property and
    equipment) gets the identity's value as `ocf_minus_free_cash_flow` instead: Nvidia, whose
    free cash flow also subtracts principal payments on property and intangible assets."""
    where = folder(src, company)
    if where is None:
        return []
    fye = company["fiscal_year_end"]
    cash = read_json(where / "cash-flows.json")
    income = read_json(where / "financials.json")
    wanted = [(m, cash, "cash-flows.json", k, -1 if m in CAPEX_METRICS else 1)
              for m, k in capex_keys(company).items()]
    wanted.append(("revenue", income, "financials.json", "revenue", 1))
    keys = identity_keys(company)
    difference = "purchases_of_property_and_equipment" not in capex_keys(company)
    rows = []
    labels = sorted({(fy, q) for doc in (cash, income) for fy, qs in doc.items() for q in qs})
    for fy_label, q_label in labels:
        fy, q = int(fy_label[2:]), int(q_label[1:])
        start, end = periods.fiscal_quarter_bounds(fy, q, fye)
        known = published(end, q, release_on, listed)
        if known is None:
            continue  # no date known: cannot say when it was public
        public, url = known
        url = url or URL
        flows = cash.get(fy_label, {}).get(q_label, {})
        cell = f"press_releases/{where.name}/cash-flows.json {fy_label}.{q_label}"
        found = []
        for metric, doc, filename, key, sign in wanted:
            figure = doc.get(fy_label, {}).get(q_label, {}).get(key)
            if figure is not None:
                found.append([metric, sign * figure,
                              f"press_releases/{where.name}/{filename} {fy_label}.{q_label}"
                              f".{key}", "reported", "", "not_checked"])
        derived = identity(flows, keys) if keys else None
        if derived is not None and difference:
            found.append(["ocf_minus_free_cash_flow", *derived[:1], cell, "difference",
                          derived[1], "not_checked"])
        elif derived is not None:
            value, how = derived
            capex = [f for f in found if f[0] == "purchases_of_property_and_equipment"]
            for f in capex:
                f[5] = "holds" if abs(f[1] - value) <= 1 else "fails"
            if not capex or capex[0][5] == "fails":
                found.append(["purchases_of_property_and_equipment", value, cell, "identity",
                              how, "holds"])
        for metric, millions, cell, derivation, how, check in found:
            if millions < 0 and metric not in SIGNED_METRICS:
                raise DataError(f"{cell}: {millions} has the wrong sign for {metric}; "
                                "outflows are negative in this source")
            rows.append(fact_row(metric, start, end, millions * 1e6, public, "press_releases",
                                 url, f"{cell} (USD millions)", derivation, how, check))
    return rows
