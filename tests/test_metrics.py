import pandas as pd
import pytest

from kit import metrics
from kit.sections import usd_bn

SEED_ARTICLE = metrics.data.REPO.parent / "shared" / "seed" / "meta-ai-investment-article.de.txt"


@pytest.fixture(scope="module")
def seed():
    return metrics.load_briefing("META", "2024-04-25")


def test_seed_capex_matches_metas_own_quoted_figure(seed):
    last = seed.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    assert last["quarter_label"] == "FY24 Q1"
    quoted = seed.statements[(seed.statements["kind"] == "actual_capex")
                             & (seed.statements["source_type"] == "press_release_copy")]
    assert usd_bn(last["capex_usd"]).replace(" billion", "") in quoted["text"].iloc[0]


def test_seed_year_earlier_capex_is_the_revised_figure_the_article_reports(seed):
    q = seed.quarters.set_index("period_end_date")
    year_ago = q.loc[pd.Timestamp("2023-03-31")]
    german = f"{year_ago['capex_usd'] / 1e9:.2f}".replace(".", ",") + " Milliarden"
    assert german in SEED_ARTICLE.read_text()
    assert "sec_extract" in year_ago["purchases_of_property_and_equipment_source"]


def test_seed_guidance_raised_from_the_prior_range_the_release_stated(seed):
    g = seed.guidance
    latest, previous = g.iloc[-1], g.iloc[-2]
    assert (latest["low_usd"], latest["high_usd"]) == (35e9, 40e9)
    assert latest["change"] == "raised"
    assert previous["given_date"] < latest["given_date"]
    raw = metrics.data.load_capex_guidance()
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
    # Q1 2023 as first published, before the revision filed with the Q1 2024 10-Q.
    q1 = before.quarters.set_index("period_end_date").loc[pd.Timestamp("2023-03-31")]
    assert "press_releases" in q1["purchases_of_property_and_equipment_source"]


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


@pytest.mark.parametrize("prev,new,word", [
    (None, (1, 2), "first given"), ((30, 37), (35, 40), "raised"), ((38, 40), (30, 39), "cut"),
    ((35, 40), (35, 40), "held"), ((30, 40), (32, 38), "narrowed"), ((32, 38), (30, 40), "widened"),
])
def test_guidance_change_words(prev, new, word):
    assert metrics._change(prev, new) == word
