import pytest

import kit
from kit.data import load_table
from kit.schema import TABLES, DataError


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_loads_with_its_schema_columns(name):
    df = getattr(kit, f"load_{name}")()
    assert list(df.columns) == TABLES[name].column_names
    assert len(df) > 0 or name == "release_sentences"  # filled by `kit data refresh` only


def test_every_row_names_a_known_source():
    known = set(kit.load_sources()["source_id"])
    for name in ("financials", "capex_guidance", "earnings_releases", "prices", "statements",
                 "company_notes"):
        assert set(getattr(kit, f"load_{name}")()["source_id"]) <= known, name


def test_malformed_file_raises_one_clear_error(tmp_path):
    (tmp_path / "prices.csv").write_text(
        "ticker,price_date,adj_close_usd,source_id,scale_factor\nMETA,2024-04-25,abc,prices,\n")
    with pytest.raises(DataError, match=r"prices.csv, line 2, column adj_close_usd: 'abc'"):
        load_table("prices", tmp_path)


def test_missing_file_says_how_to_create_it(tmp_path):
    with pytest.raises(DataError, match="run `kit data build`"):
        load_table("prices", tmp_path)
