"""SEC companyfacts documents (data.sec.gov/api/xbrl/companyfacts/CIK##########.json): from a
refresh or `kit data add`, from sec_companyfacts/ in the sources folder, or copied into
additions/companyfacts/."""

from __future__ import annotations

from datetime import date

from kit import periods
from kit.schema import BALANCES, ROUNDING_USD, SIGNED_METRICS, DataError
from kit.sources.common import fact_row, filing_year, is_fiscal_end, parse_day, sec_filing_url

# XBRL concepts per metric, in order of preference: for each period the first that has a
# value is used, and named on the row. "A+B+C" is a sum of concepts a company splits its
# capex into, used where one filing gives all of them. A company's `capex_concept` (one
# entry, or several joined by "|") replaces the list for capex.
CONCEPTS = {
    "purchases_of_property_and_equipment": (
        "PaymentsToAcquirePropertyPlantAndEquipment",
        "PaymentsToAcquireProductiveAssets",
        # the two parts Murphy Oil's ProductiveAssets split into from 2020 (its 2019 10-K
        # figures add up: 100.2M + 1,244.1M = 1,344.3M); PaymentsToAcquireOilAndGasProperty
        # (acquisitions of property) is not part of it and is not summed
        "PaymentsToAcquireOilAndGasEquipment+PaymentsToAcquireOtherProductiveAssets",
    ),
    "finance_lease_principal_payments": ("FinanceLeasePrincipalPayments",),
    "revenue": ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues"),
    "operating_cash_flow": ("NetCashProvidedByUsedInOperatingActivities",),
    # the cash-flow statement's line, whichever of these the company tags it with (named
    # on each row): Apple and Nvidia DepreciationDepletionAndAmortization, Alphabet
    # Depreciation ("Depreciation of property and equipment")
    "depreciation_and_amortization": ("DepreciationDepletionAndAmortization",
                                      "DepreciationAmortizationAndAccretionNet",
                                      "DepreciationAndAmortization", "Depreciation"),
    # a balance at the period's end (an instant), not a flow
    "remaining_performance_obligations": ("RevenueRemainingPerformanceObligation",),
}


def concepts(metric: str, company: dict) -> tuple[str, ...]:
    if metric == "purchases_of_property_and_equipment" and company.get("capex_concept"):
        return tuple(company["capex_concept"].split("|"))
    return CONCEPTS[metric]


MAX_USD = 1e14  # $100 trillion: more than any company's figure; a larger one is an error


def flows(gaap: dict, concept: str, balance: bool = False) -> list[dict]:
    """The USD facts over a period (not instants) of `concept`; for "A+B+C", one fact per
    span and filing that gives every part, its value their sum and its concept the parts.
    `balance`: the facts at an instant instead (a balance), their span empty."""
    parts = concept.split("+")
    facts = {part: [dict(f, concept=part) for f in gaap.get(part, {}).get("units", {})
                    .get("USD", []) if ("start" in f) != balance]
             for part in parts}
    given: dict[tuple, dict] = {}  # one value per concept, span and filing
    for f in (f for fs in facts.values() for f in fs):
        name = f"SEC fact {f['concept']} {f.get('start', '')}..{f['end']} (accession " \
               f"{f.get('accn')}, form {f.get('form')})"
        if not abs(f["val"]) < MAX_USD:
            raise DataError(f"{name}: {f['val']:g} USD is not a figure any company reports "
                            f"(over {MAX_USD:g}); the document is wrong, and nothing is built "
                            "from it")
        first = given.setdefault((f["concept"], f.get("start"), f["end"], f.get("accn")), f)
        if first["val"] != f["val"]:
            raise DataError(f"{name}: the filing gives it twice, {first['val']:,.0f} and "
                            f"{f['val']:,.0f} USD; the document contradicts itself, and nothing "
                            "is built from it")
    if len(parts) == 1:
        return facts[concept]
    found: dict[tuple, list[dict]] = {}  # by span and filing
    for f in (f for fs in facts.values() for f in fs):
        found.setdefault((f["start"], f["end"], f["accn"]), []).append(f)
    out = []
    for fs in found.values():
        if {f["concept"] for f in fs} == set(parts) and len(fs) == len(parts):
            out.append(dict(fs[0], val=sum(f["val"] for f in fs), concept=" + ".join(
                f"{f['concept']} {f['val'] / 1e6:,.0f}M" for f in fs)))
    return out


def _quarters(gaap: dict, concept: str, fye: str) -> dict[tuple[date, date], list[tuple]]:
    """Every version of every single quarter one concept gives, reported or from
    year-to-date figures of that concept (never mixing concepts): {(start, end): [(day,
    value, facts used, their spans, derivation)]}. Differences pair figures of one filing
    year first; a quarter no filing year gives alone comes from figures of different filing
    years (a full year that survives only as a later comparative), public from the later."""
    by_year: dict[tuple[date, date, int], list[dict]] = {}  # by span and filing year
    for f in flows(gaap, concept):
        start, end = parse_day(f["start"]), parse_day(f["end"])
        filed = parse_day(f["filed"])
        if not is_fiscal_end(end, fye):
            continue  # e.g. a pre-IPO or transition period off the fiscal calendar
        by_year.setdefault((start, end, filing_year(filed, fye)), []).append(
            dict(value=float(f["val"]), filed=filed, form=f["form"], accn=f["accn"],
                 concept=f["concept"]))
    by_span: dict[tuple[date, date, int], list[dict]] = {}
    for (start, end, _year), facts in by_year.items():
        by_span.setdefault((start, end, 0), []).extend(facts)
    found = _differences(by_year)
    for span, candidates in _differences(by_span).items():
        found.setdefault(span, candidates)
    return found


def _balances(gaap: dict, concept: str, fye: str) -> dict[tuple[date, date], list[tuple]]:
    """Every version of the balance `concept` gives at a fiscal quarter's end, as _quarters
    gives flows: {(quarter's start, end): [(day, value, [the fact], [its span], "reported")]}.
    A balance is as of a day: nothing is differenced."""
    found: dict[tuple[date, date], list[tuple]] = {}
    for f in flows(gaap, concept, balance=True):
        end = parse_day(f["end"])
        if not is_fiscal_end(end, fye):
            continue
        start = periods.fiscal_quarter_bounds(*periods.fiscal_period(end, fye), fye)[0]
        fact = dict(value=float(f["val"]), filed=parse_day(f["filed"]), form=f["form"],
                    accn=f["accn"], concept=f["concept"])
        found.setdefault((start, end), []).append(
            (fact["filed"], fact["value"], [fact], [dict(start=None, end=end)], "reported"))
    return found


def _differences(versions: dict[tuple[date, date, int], list[dict]]
                 ) -> dict[tuple[date, date], list[tuple]]:
    """The quarters `versions` (facts by span and vintage) give, reported or as differences
    of two spans of one vintage: on each day a filing changed one of the parts, the value of
    the parts then current."""
    geometry = [dict(start=a, end=b, vintage=v, value=0.0) for a, b, v in versions]
    found: dict[tuple[date, date], list[tuple]] = {}
    for q in periods.quarters_from_ytd(geometry, same_vintage="all"):
        parts = [versions[(p["start"], p["end"], p["vintage"])] for p in q["parts"]]
        for day in sorted({v["filed"] for vs in parts for v in vs}):
            current = [max((v for v in vs if v["filed"] <= day), default=None,
                           key=lambda v: (v["filed"], v["accn"])) for vs in parts]
            if None not in current:
                value = current[0]["value"] - sum(v["value"] for v in current[1:])
                found.setdefault((q["start"], q["end"]), []).append(
                    (day, value, current, q["parts"], q["derivation"]))
    return found


def facts_rows(doc: dict, company: dict, url: str,
               source_id: str = "sec_companyfacts") -> list[dict]:
    """Quarterly rows from one SEC companyfacts document, one per value *version*.

    companyfacts lists every filing that reported a value (10-Q, 10-K, S-1, amendments),
    with its `filed` date, so the first publication and every later revision are known
    exactly. Spans that do not end on one of the company's fiscal quarter ends are skipped.
    Year-to-date values give single quarters where the spans line up: from one filing year
    where that gives the quarter, else from two (see `_quarters`). On each day a filing changed one
    of its parts, a quarter gets the value of the parts then current, and a version is kept
    when that value differs from the one before by more than rounding. `source_id` names
    where the document came from (a live refresh, or a copy in additions/companyfacts/),
    named with `url` in `source_detail`; `source_url` is the filing that made the version
    public, on sec.gov.
    """
    gaap = doc.get("facts", {}).get("us-gaap", {})
    fye = company["fiscal_year_end"]
    rows = []
    for metric in CONCEPTS:
        found: dict[tuple[date, date], list[tuple]] = {}
        for concept in concepts(metric, company):  # a quarter from the first that gives it
            try:
                quarters = (_balances if metric in BALANCES else _quarters)(gaap, concept, fye)
            except DataError as err:
                raise DataError(f"{company['ticker']}: {err}") from None
            for span, candidates in quarters.items():
                found.setdefault(span, candidates)
        for (start, end), candidates in found.items():
            last = None
            for day, value, current, spans, derivation in sorted(candidates, key=lambda c: c[0]):
                if last is not None and abs(value - last) <= ROUNDING_USD:
                    continue  # the same figure, restated or repeated
                if value < 0 and derivation == "ytd_difference" and metric not in SIGNED_METRICS:
                    continue  # its parts are on different bases (one restated): no quarter
                first = last is None
                last = value
                filings = ", ".join(f"{v['form']} {v['accn']} filed {v['filed']}"
                                    for v in current)
                made_public = max(current, key=lambda v: (v["filed"], v["accn"]))
                detail = " minus ".join(
                    f"{v['concept']} " + (f"at {p['end']}" if p["start"] is None
                                          else f"{p['start']}..{p['end']}")
                    + f" = {v['value'] / 1e6:,.0f}M" for v, p in zip(current, spans))
                rows.append(fact_row(
                    metric, start, end, value,
                    (day, "filing", ("first filed" if first else "revised") + f" in {filings}"),
                    source_id, sec_filing_url(company["cik"], made_public["accn"]),
                    f"companyfacts ({url}): {detail}", derivation,
                    detail if len(current) > 1 else "", filed=day))
    return rows


IFRS_CAPEX = "PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities"


def check_usable(doc: dict, ticker: str) -> list[str]:
    """Whether `kit data add` can make quarterly briefings from a companyfacts document:
    DataError naming why not (no capex concept, with the concepts looked for; capex not in
    USD; capex for full years only, as 20-F filers under IFRS give it), else the notes on
    what the company will lack (no revenue concept)."""
    facts = doc.get("facts", {})
    if "us-gaap" not in facts and IFRS_CAPEX in facts.get("ifrs-full", {}):
        found = facts["ifrs-full"][IFRS_CAPEX]["units"]
        forms = sorted({f.get("form", "?") for fs in found.values() for f in fs})
        what = "the kit reads quarters from us-gaap concepts only" if _gives_quarters(
            [f for fs in found.values() for f in fs]) else "no quarters"
        raise DataError(f"{ticker}: files under IFRS (ifrs-full facts, no us-gaap) with capex "
                        f"({IFRS_CAPEX}) in {', '.join(sorted(found))} from "
                        f"{', '.join(forms)}: {what}, and the kit's briefings are quarterly "
                        "in US dollars; it is not added")
    gaap = facts.get("us-gaap", {})
    looked = [c for concept in CONCEPTS["purchases_of_property_and_equipment"]
              for c in concept.split("+")]
    present = [c for c in looked if c in gaap]
    if not present:
        raise DataError(f"{ticker}: no capex concept in its filings (looked for us-gaap "
                        f"{', '.join(looked)}, and ifrs-full {IFRS_CAPEX}); the kit's "
                        "briefings are about capex, so it is not added")
    units = sorted({u for c in present for u in gaap[c].get("units", {})})
    if "USD" not in units:
        raise DataError(f"{ticker}: capex ({', '.join(present)}) is in {', '.join(units)}, "
                        "not US dollars; the kit compares figures in US dollars only, so it "
                        "is not added")
    if not _gives_quarters([f for c in present for f in gaap[c]["units"].get("USD", [])]):
        raise DataError(f"{ticker}: capex ({', '.join(present)}) only for full years, never "
                        "for a quarter or a year to date; the kit's briefings are quarterly, "
                        "so it is not added")
    revenue = CONCEPTS["revenue"]
    return [] if any(c in gaap for c in revenue) else [
        f"{ticker}: no revenue concept in its filings (looked for {', '.join(revenue)}): its "
        "briefing shows capex without revenue or capex against revenue"]


def _gives_quarters(facts: list[dict]) -> bool:
    """Whether facts over periods give a single quarter: one reported, or two years to date
    a quarter apart (periods.quarters_from_ytd, across filings)."""
    spans = [dict(start=parse_day(f["start"]), end=parse_day(f["end"]), value=0.0)
             for f in facts if "start" in f]
    return bool(periods.quarters_from_ytd(spans, same_vintage="none"))


def report_spans(doc: dict) -> list[tuple[date, date]]:
    """The (start, end) of every period the company's 10-K and 10-Q facts cover."""
    return sorted({(parse_day(f["start"]), parse_day(f["end"]))
                   for concepts in doc.get("facts", {}).values() for body in concepts.values()
                   for unit in body.get("units", {}).values() for f in unit
                   if "start" in f and str(f.get("form", "")).startswith("10-")})


def off_calendar(spans: list[tuple[date, date]], fye: str) -> list[date]:
    """The ends of quarters among `spans` (report_spans) that are not quarter ends of the
    calendar `fye` (a year the company ended otherwise than its rule, say): the kit leaves
    them out, and `kit data add` says so."""
    return sorted({end for start, end in spans
                   if periods.is_quarter(start, end) and not is_fiscal_end(end, fye)})


def fiscal_year_end(spans: list[tuple[date, date]], ticker: str) -> str:
    """The fiscal calendar of a company, from the periods of its 10-K and 10-Q facts
    (report_spans)."""
    try:
        return periods.infer_fiscal_year_end(spans)
    except ValueError as err:
        raise DataError(f"{ticker}: cannot tell its fiscal calendar from its filings ({err})"
                        ) from None
