import pandas as pd
import pytest

from kit import data, metrics, paths
from kit.metrics.guidance import _change
from kit.sections import usd_bn

SEED_ARTICLE = paths.CHECKOUT.parent / "shared" / "seed" / "meta-ai-investment-article.de.txt"


@pytest.fixture(scope="module")
def seed():
    return metrics.load_briefing("META", "2024-04-25")


def test_seed_capex_matches_metas_own_quoted_figure(seed):
    last = seed.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    assert last["quarter_label"] == "FY24 Q1"
    quoted = seed.statements[(seed.statements["kind"] == "actual_capex")
                             & (seed.statements["source_type"] == "press_release_copy")]
    assert usd_bn(last["capex_usd"]).replace(" billion", "") in quoted["text"].iloc[0]


def test_seed_year_earlier_capex_is_the_figure_the_release_presented(seed):
    q = seed.quarters.set_index("period_end_date")
    year_ago = q.loc[pd.Timestamp("2023-03-31")]
    german = f"{year_ago['capex_usd'] / 1e9:.2f}".replace(".", ",") + " Milliarden"
    assert german in SEED_ARTICLE.read_text()  # $7.09B, as the Q1 2024 release presented it
    # ... and the same figure was public from Q1 2023's own release on: no late "revision".
    for day in ("2023-04-26", "2023-05-15", "2024-04-24"):
        then = metrics.load_briefing("META", day).quarters.set_index("period_end_date")
        assert then.loc[pd.Timestamp("2023-03-31"), "capex_usd"] == year_ago["capex_usd"], day


def test_seed_guidance_raised_from_the_prior_range_the_release_stated(seed):
    g = seed.guidance
    latest, previous = g.iloc[-1], g.iloc[-2]
    assert (latest["low_usd"], latest["high_usd"]) == (35e9, 40e9)
    assert latest["change"] == "raised"
    assert previous["given_date"] < latest["given_date"]
    raw = data.load_capex_guidance()
    stated = raw[(raw["given_date"] == latest["given_date"]) & raw["prior_low_usd"].notna()]
    assert (previous["low_usd"], previous["high_usd"]) == tuple(
        stated[["prior_low_usd", "prior_high_usd"]].iloc[0])


def test_seed_reaction_is_computed_from_prices(seed):
    r = seed.reactions.iloc[-1]
    assert r["release_date"] == pd.Timestamp("2024-04-24")
    assert r["session_date"] == pd.Timestamp("2024-04-25")
    assert round(r["move_pct"], 1) == -10.6  # the MANIFEST's spot check
    assert r["move_pct"] == pytest.approx((r["session_close_usd"] / r["base_close_usd"] - 1) * 100)


def test_as_of_uses_only_what_was_public():
    before = metrics.load_briefing("META", "2024-04-23")
    assert before.quarters["quarter_label"].iloc[-1] == "FY23 Q4"
    assert before.guidance["given_date"].max() == pd.Timestamp("2024-02-01")
    assert before.statements["event_date"].max() <= pd.Timestamp("2024-04-23")
    # Q1 2022 as first published (the release's own identity), before the revision that
    # the Q1 2023 release carried as its comparative.
    q1 = metrics.load_briefing("META", "2023-04-25").quarters.set_index("period_end_date")
    q1 = q1.loc[pd.Timestamp("2022-03-31")]
    assert q1["purchases_of_property_and_equipment_usd"] == 5_315e6
    assert "identity" in q1["purchases_of_property_and_equipment_source"]
    later = metrics.load_briefing("META", "2023-04-26").quarters.set_index("period_end_date")
    assert later.loc[pd.Timestamp("2022-03-31"), "purchases_of_property_and_equipment_usd"] \
        == 5_441e6


def test_missing_quarters_are_reported_not_filled():
    latest = metrics.load_briefing("META")
    gaps = latest.quarters[latest.quarters["capex_usd"].isna()]
    assert not gaps.empty
    assert all(label in " ".join(latest.notes) for label in gaps["quarter_label"])


def test_ttm_needs_four_quarters(seed):
    q = seed.quarters.set_index("period_end_date")
    window = q.loc["2023-04-01":"2024-03-31", "capex_usd"]
    assert len(window) == 4
    assert q.loc[pd.Timestamp("2024-03-31"), "capex_ttm_usd"] == pytest.approx(window.sum())
    assert q["capex_ttm_usd"].isna().iloc[0]


@pytest.mark.parametrize("ticker", ["meta", "  META "])
def test_ticker_is_normalised(ticker):
    assert metrics.check_request(ticker, "2024-04-25")[0] == "META"


def test_unknown_ticker_lists_valid_ones():
    with pytest.raises(metrics.RequestError,
                       match="unknown ticker 'XXXX'; valid tickers: AAPL, AMZN, CRWV"):
        metrics.check_request("XXXX")


def test_as_of_before_first_data_gives_the_valid_range():
    with pytest.raises(metrics.RequestError, match="before the first META data .* between"):
        metrics.check_request("META", "2001-01-01")


def test_malformed_as_of_is_rejected():
    with pytest.raises(metrics.RequestError, match="'2024-13-45' is not a date"):
        metrics.check_request("META", "2024-13-45")


NAN = float("nan")


@pytest.mark.parametrize("prev,new,word", [
    (None, (1, 2), "first given"), ((30, 37), (35, 40), "raised"), ((38, 40), (30, 39), "cut"),
    ((35, 40), (35, 40), "held"), ((30, 40), (32, 38), "narrowed"), ((32, 38), (30, 40), "widened"),
    # "up to $95B" then "$90-95B" (Oracle's FY2027) is narrowed, not cut; a floor raised is raised
    ((NAN, 95), (90, 95), "narrowed"), ((90, 95), (NAN, 95), "widened"),
    ((20, NAN), (25, NAN), "raised"), ((25, 25), (25, NAN), "widened"),
    ((125, 145), (130, 145), "narrowed"), ((50, 50), (40, 60), "widened"),
    ((35, 35), (50, 50), "raised"),
])
def test_guidance_change_words(prev, new, word):
    assert _change(prev, new) == word


# --- hand-made frames -------------------------------------------------------------------

def _rows(csv_text: str) -> pd.DataFrame:
    import io
    df = pd.read_csv(io.StringIO(csv_text), dtype={"derivation_detail": str})
    for col in ("period_start_date", "period_end_date", "published_date"):
        df[col] = pd.to_datetime(df[col])
    defaults = dict(source_url="https://example.com", source_detail="test",
                    derivation_detail="", source_filed_date=pd.NaT,
                    published_basis="release", identity_check="not_checked",
                    fiscal_year=2024, calendar_year=2024)
    for col, value in defaults.items():
        if col not in df:
            df[col] = value
    df["fiscal_quarter"] = df["calendar_quarter"] = df["period_end_date"].dt.quarter
    return df


QUARTERS = """metric,period_start_date,period_end_date,value_usd,derivation,published_date,source_id
purchases_of_property_and_equipment,2024-01-01,2024-03-31,6400e6,reported,2024-04-24,sec_extract
finance_lease_principal_payments,2024-01-01,2024-03-31,315e6,reported,2024-04-24,press_releases
capex_incl_finance_leases,2024-01-01,2024-03-31,6715e6,sum,2024-04-24,derived
purchases_of_property_and_equipment,2024-04-01,2024-06-30,8173e6,reported,2024-07-31,sec_extract
revenue,2024-04-01,2024-06-30,39071e6,reported,2024-07-31,press_releases
"""


def test_the_comparable_measure_is_empty_and_names_the_missing_component():
    q = metrics.measures(_rows(QUARTERS), "purchases_of_property_and_equipment",
                         pd.Timestamp("2024-08-01")).set_index("quarter_label")
    assert q.loc["FY24 Q1", "comparable_usd"] == 6_715e6
    assert q.loc["FY24 Q1", "comparable_missing"] == ""
    assert pd.isna(q.loc["FY24 Q2", "comparable_usd"])  # never purchases alone
    assert q.loc["FY24 Q2", "comparable_missing"] == "principal payments on finance leases"
    assert q.loc["FY24 Q2", "capex_usd"] == 8_173e6  # the as-reported measure is there
    later = {("finance_lease_principal_payments", pd.Timestamp("2024-06-30"))}
    q = metrics.measures(_rows(QUARTERS), "purchases_of_property_and_equipment",
                         pd.Timestamp("2024-08-01"), later).set_index("quarter_label")
    assert q.loc["FY24 Q2", "comparable_missing"] == ("principal payments on finance leases "
                                                      "(not public by 2024-08-01)")


GUIDANCE = (
    "fiscal_year,fiscal_quarter,per,guidance_kind,basis,low_usd,high_usd,given_date,"
    "prior_low_usd,prior_high_usd,source_type,source_url\n"
    "2026,,year,point,purchases_of_property_and_equipment,25e9,25e9,2025-06-11,,,news,a\n"
    "2026,,year,about,purchases_of_property_and_equipment,35e9,35e9,2025-09-09,,,news,b\n"
    "2026,,year,raise_by,purchases_of_property_and_equipment,15e9,,2025-12-10,,,news,c\n"
    "2027,,year,raise_by,purchases_of_property_and_equipment,5e9,,2026-07-01,,,news,d\n")


def _guidance(text=GUIDANCE) -> pd.DataFrame:
    import io
    return pd.read_csv(io.StringIO(text), parse_dates=["given_date"])


def test_a_raise_becomes_a_level_only_where_the_level_it_raises_is_known():
    steps = metrics.guidance_steps(_guidance())
    fy26 = steps[steps["fiscal_year"] == 2026].iloc[-1]
    assert (fy26["guidance_kind"], fy26["low_usd"], fy26["high_usd"]) == ("about", 50e9, 50e9)
    assert fy26["level_note"] == "about $35 billion (given 2025-09-09) + the $15 billion raise"
    assert fy26["change"] == "raised"
    fy27 = steps[steps["fiscal_year"] == 2027].iloc[-1]
    assert (fy27["guidance_kind"], fy27["low_usd"]) == ("raise_by", 5e9)
    assert "not in the data" in fy27["level_note"]
    now = metrics.current_outlook(steps, pd.Timestamp("2026-01-15"), "05-31")
    assert (now["fiscal_year"], now["text"]) == (2026, "about $50 billion")
    assert metrics.outlook_text(now["previous"]) == "about $35 billion"
    assert metrics.current_outlook(steps, pd.Timestamp("2026-06-15"), "05-31")[
        "fiscal_year"] == 2027  # FY2026 closed on 2026-05-31


def _year(fy, values, metric="purchases_of_property_and_equipment"):
    return pd.DataFrame({"fiscal_year": fy, "fiscal_quarter": [1, 2, 3, 4],
                         "period_end_date": pd.date_range(f"{fy - 1}-08-31", periods=4,
                                                          freq="3ME"),
                         f"{metric}_usd": values})


def test_a_verdict_is_given_only_on_the_outlooks_own_basis():
    steps = metrics.guidance_steps(_guidance())
    quarters = _year(2026, [8.5e9, 12.0e9, 18.6e9, 16.6e9])
    v = metrics.verdicts(steps, steps.iloc[0:0], quarters, "05-31", pd.Timestamp("2026-07-01"))
    (row,) = v.to_dict("records")
    assert (row["status"], row["actual_usd"]) == ("above", 55.7e9)
    assert row["verdict"] == "$5.70 billion above the outlook" and row["outlook"] == \
        "about $50 billion"
    net = metrics.guidance_steps(_guidance().assign(basis="net_cash_capex"))
    (row,) = metrics.verdicts(net, net.iloc[0:0], quarters, "05-31",
                              pd.Timestamp("2026-07-01")).to_dict("records")
    assert row["status"] == "not_comparable" and pd.isna(row["actual_usd"])
    assert row["verdict"].startswith("not comparable: the outlook is cash capex net of")
    short = quarters.iloc[:3]
    (row,) = metrics.verdicts(steps, steps.iloc[0:0], short, "05-31",
                              pd.Timestamp("2026-07-01")).to_dict("records")
    assert row["status"] == "not_known" and "all four quarters" in row["reason"]
    assert metrics.verdicts(steps, steps.iloc[0:0], quarters, "05-31",
                            pd.Timestamp("2026-05-31")).empty  # not closed yet


def test_a_quarter_outlook_is_judged_against_that_quarter_on_its_basis():
    others = metrics.other_outlooks(_guidance(
        "fiscal_year,fiscal_quarter,per,guidance_kind,basis,low_usd,high_usd,given_date,"
        "source_type,source_url\n"
        "2026,1,quarter,at_least,capex_incl_finance_lease_additions,30e9,,2025-07-30,news,u\n"
        "2025,,quarter,at_least,purchases_of_property_and_equipment,12e9,,2024-10-15,news,v\n"))
    q = pd.concat([_year(2026, [34.9e9, 37.5e9, 30.9e9, None],
                         "capex_incl_finance_lease_additions"),
                   _year(2025, [12.0e9, 13.2e9, 13.1e9, 11.0e9])])
    v = metrics.verdicts(metrics.guidance_steps(others.iloc[0:0]), others, q, "06-30",
                         pd.Timestamp("2026-01-15"))
    got = {(r.fiscal_year, r.fiscal_quarter): (r.status, r.verdict) for r in v.itertuples()}
    assert got[(2026, 1)] == ("within", "at or above the outlook's floor")
    assert got[(2025, 4)] == ("below", "$1.00 billion below the outlook")
    assert (2025, 1) not in got  # given 2024-10-15, it covers only the quarters after it
    assert (2026, 2) not in got  # FY26 Q2 ended 2025-12-31, but the outlook is for Q1 only


def _releases(*rows):
    """earnings_releases rows: (fiscal_year, fiscal_quarter, period_end_date, release_date)."""
    return pd.DataFrame([dict(fiscal_year=fy, fiscal_quarter=q,
                              period_end_date=pd.Timestamp(end), release_date=pd.Timestamp(day))
                         for fy, q, end, day in rows])


HISTORY = _releases((2025, 2, "2025-06-30", "2025-07-30"), (2025, 3, "2025-09-30", "2025-10-29"),
                    (2025, 4, "2025-12-31", "2026-01-28"), (2026, 1, "2026-03-31", "2026-04-29"))


def test_the_next_release_is_due_by_its_quarters_end_plus_the_longest_recent_lag_and_a_week():
    h = metrics.horizon(HISTORY, "12-31", pd.Timestamp("2026-09-28"))
    # Q2 2026 ends 2026-06-30; the latest four lags are 30, 29, 28 and 29 days
    assert h["due_date"] == pd.Timestamp("2026-06-30") + pd.Timedelta(days=30 + 7)
    assert (h["last_quarter"], h["next_quarter"], h["missing"]) == ("FY26 Q1", "FY26 Q2", True)
    note = metrics.horizon_note("Meta Platforms, Inc.", h)
    assert note == ("Data for Meta Platforms, Inc. ends with the release of 2026-04-29; the "
                    "release for FY26 Q2, due by 2026-08-06, is not in the data — `kit data "
                    "refresh`.")


def test_no_notice_before_the_due_date_or_when_the_release_is_in_the_data():
    assert not metrics.horizon(HISTORY, "12-31", pd.Timestamp("2026-08-06"))["missing"]
    later = pd.concat([HISTORY, _releases((2026, 2, "2026-06-30", "2026-07-29"))])
    # seen on 2026-07-01 the Q2 release is still to come: not missing, whatever the date
    assert not metrics.horizon(later, "12-31", pd.Timestamp("2026-09-28"))["missing"]
    assert not metrics.horizon(later, "12-31", pd.Timestamp("2026-07-01"))["missing"]
    assert metrics.horizon_note("X", None) == ""
