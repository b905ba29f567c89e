import filecmp
import shutil

import pandas as pd
import pytest

from kit import sources
from kit.data import data_dir, load_table
from kit.schema import DataError


@pytest.fixture(scope="module")
def built(sources_dir, tmp_path_factory):
    return sources.build(sources_dir, tmp_path_factory.mktemp("b") / "data", log=lambda m: None)


def test_build_reproduces_the_committed_data(built):
    committed = data_dir()
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in built.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(committed, built, names, shallow=False)
    assert mismatch == [] and errors == []


def test_revised_figure_keeps_both_versions_with_their_dates(built):
    fin = load_table("financials", built)
    q = fin[(fin["ticker"] == "META") & (fin["metric"] == "purchases_of_property_and_equipment")
            & (fin["period_end_date"] == "2023-03-31")].sort_values("published_date")
    assert list(q["source_id"]) == ["press_releases", "sec_extract"]
    assert q["value_usd"].iloc[0] != q["value_usd"].iloc[1]
    assert q["published_date_basis"].iloc[1].startswith("revised")


def test_every_financial_row_says_how_it_was_derived(built):
    fin = load_table("financials", built)
    assert set(fin["derivation"]) == {"reported", "ytd_difference", "difference", "sum"}
    derived = fin[fin["derivation"] != "reported"]
    assert derived["derivation_detail"].notna().all()
    assert fin["source_url"].str.startswith("https://").all()


def test_ytd_differences_are_quarters_with_matching_bounds(built):
    fin = load_table("financials", built)
    days = (fin["period_end_date"] - fin["period_start_date"]).dt.days + 1
    assert days.between(84, 98).all()


def test_sums_equal_their_inputs_as_of_every_date(built):
    fin = load_table("financials", built)
    fin = fin[fin["ticker"] == "META"]
    parts = ["purchases_of_property_and_equipment", "finance_lease_principal_payments"]
    for day in pd.to_datetime(["2023-05-01", "2024-04-25", "2025-02-01", "2026-08-01"]):
        cur = fin[fin["published_date"] <= day].sort_values("published_date")
        latest = cur.groupby(["metric", "period_end_date"]).tail(1).set_index(
            ["period_end_date", "metric"])["value_usd"].unstack()
        both = latest.dropna(subset=[*parts, "capex_incl_finance_leases"])
        assert (both[parts].sum(axis=1) - both["capex_incl_finance_leases"]).abs().max() < 1


def test_a_quote_not_in_the_seed_article_is_rejected(sources_dir, tmp_path, monkeypatch):
    additions = tmp_path / "additions"
    shutil.copytree(sources.ADDITIONS, additions)
    path = additions / "statements.csv"
    path.write_text(path.read_text().replace("weiter steigen", "stark steigen"))
    monkeypatch.setattr(sources, "ADDITIONS", additions)
    with pytest.raises(DataError, match="statements.csv, line 2, column text: not found"):
        sources.build_tables(sources_dir, log=lambda m: None)


@pytest.mark.robustness
def test_a_failed_build_leaves_existing_data_untouched(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "prices.csv").write_text("keep me")
    with pytest.raises(DataError, match="not a sources folder"):
        sources.build(tmp_path / "nowhere", out)
    assert (out / "prices.csv").read_text() == "keep me"
