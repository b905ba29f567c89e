"""Cash flow, depreciation and backlog beside capex (kit.metrics.funding): derivations on
hand-made frames, point in time, balances, the companies' own free-cash-flow definitions, and
the figures of a recorded SEC companyfacts document as a briefing shows them."""

import json
from datetime import date

import pandas as pd
import pytest

from kit import data, metrics, periods
from kit.metrics.asof import as_of_rows
from kit.metrics.briefing import free_cash_flow
from kit.metrics.funding import funding, identity
from kit.metrics.measures import measures
from kit.schema import COMPARABLE
from kit.sections import funding_html
from kit.sources import companyfacts

CAPEX = "purchases_of_property_and_equipment"
LEASES = "finance_lease_principal_payments"
OCF, DA, FCF, RPO = ("operating_cash_flow", "depreciation_and_amortization", "free_cash_flow",
                     "remaining_performance_obligations")


def _rows(figures: dict, published: str = "2025-01-30") -> pd.DataFrame:
    """financials rows of one company on a calendar fiscal year: {(year, q): {metric: $M, or
    ($M, published, derivation)}}."""
    rows = []
    for (year, q), values in figures.items():
        end = pd.Timestamp(year, q * 3, 1) + pd.offsets.MonthEnd(0)
        for metric, given in values.items():
            value, day, derivation = (*given, "reported")[:3] if isinstance(given, tuple) \
                else (given, published, "reported")
            rows.append(dict(
                ticker="TEST", metric=metric, period_end_date=end,
                period_start_date=pd.Timestamp(year, q * 3 - 2, 1), value_usd=value * 1e6,
                fiscal_year=year, fiscal_quarter=q, calendar_year=year, calendar_quarter=q,
                derivation=derivation, derivation_detail="", identity_check="not_checked",
                published_date=pd.Timestamp(day), published_basis="release",
                published_date_basis="", source_id="press_releases",
                source_url=f"https://www.sec.gov/{metric}/{year}Q{q}", source_detail=metric,
                source_filed_date=pd.NaT, precision_usd=float("nan")))
    return pd.DataFrame(rows)


def _quarters(fin: pd.DataFrame, as_of="2030-01-01") -> pd.DataFrame:
    return measures(as_of_rows(fin, pd.Timestamp(as_of)), CAPEX, pd.Timestamp(as_of))


def _five_quarters(extra: dict | None = None) -> dict:
    # the comparable measure is a row of its own, as the build sums it (pipeline.sums)
    base = {(2024, q): {OCF: 100 + q, CAPEX: 40 + q, LEASES: 5, COMPARABLE: 45 + q,
                        DA: 20 + q, RPO: 1000 + q, "revenue": 500} for q in (1, 2, 3, 4)}
    base[(2025, 1)] = {OCF: 120, CAPEX: 60, LEASES: 5, COMPARABLE: 65, DA: 30, RPO: 1200,
                       "revenue": 600}
    for key, values in (extra or {}).items():
        base[key].update(values)
    return base


def test_free_cash_flow_after_capex_on_both_measures_and_shares_of_operating_cash_flow():
    f = funding(_quarters(_rows(_five_quarters())), CAPEX).set_index("quarter_label")
    q = f.loc["FY25 Q1"]
    assert q["ocf_usd"] == 120e6
    assert q["fcf_capex_usd"] == 60e6  # 120 - 60
    assert q["fcf_comparable_usd"] == 55e6  # 120 - (60 + 5)
    assert q["capex_to_ocf_pct"] == pytest.approx(50.0)
    assert q["comparable_to_ocf_pct"] == pytest.approx(65 / 120 * 100)
    assert q["da_to_capex_pct"] == pytest.approx(50.0)  # 30 / 60
    assert q["da_yoy_pct"] == pytest.approx((30 / 21 - 1) * 100)  # against FY24 Q1


def test_trailing_four_quarters_are_sums_of_flows_never_partial_and_never_of_a_balance():
    f = funding(_quarters(_rows(_five_quarters())), CAPEX).set_index("quarter_label")
    assert f.loc["FY24 Q4", "ocf_ttm_usd"] == (101 + 102 + 103 + 104) * 1e6
    assert f.loc["FY25 Q1", "fcf_capex_ttm_usd"] == ((102 + 103 + 104 + 120)
                                                     - (42 + 43 + 44 + 60)) * 1e6
    assert pd.isna(f.loc["FY24 Q3", "ocf_ttm_usd"])  # only three quarters so far
    # a balance: the backlog at each quarter's end, as given; nothing adds it up
    assert f.loc["FY25 Q1", "rpo_usd"] == 1200e6
    assert not [c for c in f if c.startswith("rpo") and c != "rpo_usd" and c.endswith("_usd")
                and "ttm" in c]
    gap = funding(_quarters(_rows(_five_quarters({(2024, 3): {OCF: float("nan")}})
                                  ).dropna(subset=["value_usd"])), CAPEX)
    assert gap.set_index("quarter_label")[["ocf_ttm_usd", "fcf_capex_ttm_usd"]].loc[
        ["FY24 Q4", "FY25 Q1"]].isna().all().all()  # a missing quarter: no partial sum


def test_a_quarters_operating_cash_flow_is_not_shown_before_it_was_public():
    figures = _five_quarters({(2025, 1): {OCF: (120, "2025-05-01"), DA: (30, "2025-05-10")}})
    fin = _rows(figures)
    before = funding(_quarters(fin, "2025-04-30"), CAPEX).set_index("quarter_label")
    assert pd.isna(before.loc["FY25 Q1", "ocf_usd"]) and pd.isna(before.loc["FY25 Q1", "da_usd"])
    assert pd.isna(before.loc["FY25 Q1", "fcf_capex_usd"])  # nothing computed from it either
    between = funding(_quarters(fin, "2025-05-01"), CAPEX).set_index("quarter_label")
    assert between.loc["FY25 Q1", "ocf_usd"] == 120e6 and pd.isna(between.loc["FY25 Q1", "da_usd"])


def test_the_stated_free_cash_flow_is_checked_against_the_companys_own_definition():
    figures = {(2024, 1): {OCF: 100, CAPEX: 40, LEASES: 5, FCF: 55},   # holds
               (2024, 2): {OCF: 100, CAPEX: 40, LEASES: 5, FCF: 57},   # differs by 2M
               (2024, 3): {OCF: 100, CAPEX: 40, FCF: 55},              # a part missing
               (2024, 4): {OCF: 100, CAPEX: (40, "2025-01-30", "identity"), LEASES: 5,
                           FCF: 55}}                                   # derived from it
    q = _quarters(_rows(figures))
    status = identity(q, [CAPEX, LEASES]).set_index("quarter_label")["status"]
    assert status.to_dict() == {"FY24 Q1": "holds", "FY24 Q2": "differs",
                                "FY24 Q3": "missing", "FY24 Q4": "circular"}
    # by a definition that subtracts purchases only, the first holds no more
    assert identity(q, [CAPEX]).set_index("quarter_label").loc["FY24 Q1", "status"] == "differs"


def test_balances_in_a_companyfacts_document_are_not_differenced():
    doc = {"facts": {"us-gaap": {"RevenueRemainingPerformanceObligation": {"units": {"USD": [
        {"end": "2024-03-31", "val": 1000e6, "accn": "a1", "form": "10-Q", "filed": "2024-05-01"},
        {"end": "2024-06-30", "val": 1300e6, "accn": "a2", "form": "10-Q", "filed": "2024-08-01"},
    ]}}}}}
    company = dict(ticker="TEST", cik="1", fiscal_year_end="12-31", capex_concept="")
    rows = [r for r in companyfacts.facts_rows(doc, company, "u") if r["metric"] == RPO]
    assert [(r["period_end_date"], r["value_usd"]) for r in rows] == [
        (date(2024, 3, 31), 1000e6), (date(2024, 6, 30), 1300e6)]
    assert {r["period_start_date"] for r in rows} == {date(2024, 1, 1), date(2024, 4, 1)}
    assert all("at 2024-" in r["source_detail"] for r in rows)


@pytest.fixture(scope="module")
def nvda():
    return metrics.load_briefing("NVDA")


def test_a_briefing_shows_each_measure_of_its_latest_quarter_as_the_sec_document_gives_it(
        nvda, sources_dir):
    """Nvidia's recorded companyfacts document: its latest quarter's operating cash flow,
    depreciation and backlog, as the briefing's section shows them with their source."""
    doc = json.loads((sources_dir / "sec_companyfacts" / "CIK0001045810.json").read_text())
    gaap = doc["facts"]["us-gaap"]
    last = nvda.funding.dropna(subset=["ocf_usd"]).iloc[-1]
    start, end = periods.fiscal_quarter_bounds(int(last["fiscal_year"]),
                                               int(last["fiscal_quarter"]), "last-Sun-01/Q4")
    assert last["fiscal_quarter"] == 1  # a first quarter: its 10-Q gives it as such

    def given(concept, instant=False):
        return {f["val"] for f in gaap[concept]["units"]["USD"] if f["end"] == f"{end}"
                and f.get("start") == (None if instant else f"{start}")}

    assert last["ocf_usd"] in given("NetCashProvidedByUsedInOperatingActivities")
    assert last["da_usd"] in given("DepreciationDepletionAndAmortization")
    assert last["rpo_usd"] in given("RevenueRemainingPerformanceObligation", instant=True)
    row = nvda.quarters.set_index("period_end_date").loc[last["period_end_date"]]
    assert "DepreciationDepletionAndAmortization" in row[f"{DA}_source"]  # the concept, named
    html = funding_html(nvda).data
    from kit.i18n import usd_bn
    for value in (last["ocf_usd"], last["da_usd"], last["rpo_usd"]):
        assert usd_bn(value) in html
    assert row[f"{OCF}_url"] in html and "sec.gov/Archives/edgar/data/1045810" in row[f"{OCF}_url"]


PRESS_COMPANIES = ("META", "MSFT", "GOOGL", "AAPL", "NVDA", "TSLA")


@pytest.mark.parametrize("ticker", PRESS_COMPANIES)
def test_the_identity_holds_for_every_quarter_or_the_quarter_is_reviewed(ticker):
    """Every quarter a company states free cash flow for equals operating cash flow minus
    what its own definition subtracts, within $1M, or is in the reviewed list with why."""
    b = metrics.load_briefing(ticker)
    checked = free_cash_flow(ticker, pd.Timestamp.max, b.quarters)
    stated = b.quarters[f"{FCF}_usd"].notna()
    if checked["fcf_definition"] is None:
        # Microsoft and Apple state no free cash flow: the extract's own arithmetic is not
        # taken for theirs
        assert ticker in ("MSFT", "AAPL") and not stated.any()
        return
    f = checked["fcf_identity"]
    assert len(f) == stated.sum() > 0
    unexplained = f[(f["status"] != "holds") & (f["review"] == "")]
    assert unexplained.empty, unexplained[["quarter_label", "stated_usd", "by_definition_usd"]]
    holds = f[f["status"] == "holds"]
    assert ((holds["stated_usd"] - holds["by_definition_usd"]).abs() <= 1e6).all()
    reviews = data.load_free_cash_flow_reviews()
    assert set(reviews.loc[reviews["ticker"] == ticker, "period_end_date"]) == set(
        f.loc[f["status"] != "holds", "period_end_date"])  # no review of a quarter that holds


def test_every_definition_names_metrics_the_kit_has_and_a_document():
    defs = data.load_free_cash_flow_definitions()
    assert set(defs["ticker"]) == {"META", "GOOGL", "NVDA", "TSLA"}
    for d in defs.itertuples():
        assert set(d.subtracts.split(" + ")) <= {CAPEX, LEASES, COMPARABLE}, d.ticker
        assert d.source_url.startswith("https://") and d.company_words
    meta = defs.set_index("ticker").loc["META"]
    assert meta["subtracts"] == f"{CAPEX} + {LEASES}"  # Meta subtracts lease principal too


def test_the_section_names_both_bases_and_what_the_sources_lack(nvda):
    html = funding_html(nvda).data
    assert "Free cash flow after capex is the kit" in html
    assert "on its own definition" in html and "principal payments on property" in html
    amzn = funding_html(metrics.load_briefing("AMZN")).data
    assert "Not in the sources" in amzn and "operating cash flow" in amzn
    assert "<table" not in amzn  # no figures: no table of dashes


def test_a_company_added_from_sec_gets_cash_flow_depreciation_and_backlog(sources_dir):
    """`kit data add` and `kit data refresh` read companyfacts: Snowflake's recorded
    document gives operating cash flow (below zero in a quarter is kept), depreciation under
    its concept, and its backlog as balances."""
    doc = json.loads((sources_dir / "sec_companyfacts" / "CIK0001640147.json").read_text())
    company = dict(ticker="SNOW", cik="0001640147", fiscal_year_end="01-31", capex_concept="")
    rows = pd.DataFrame(companyfacts.facts_rows(doc, company, "u"))
    have = rows.groupby("metric").size()
    assert {OCF, DA, RPO} <= set(have.index)
    rpo = rows[rows["metric"] == RPO]
    assert (rpo["derivation"] == "reported").all()  # balances: never a difference
    gaap = doc["facts"]["us-gaap"]
    given = {(f["end"], f["val"]) for f in
             gaap["RevenueRemainingPerformanceObligation"]["units"]["USD"]}
    assert {(f"{e}", v) for e, v in zip(rpo["period_end_date"], rpo["value_usd"])} <= given
    da = rows[rows["metric"] == DA]["source_detail"]
    assert da.str.contains("DepreciationDepletionAndAmortization|Depreciation ").all()
