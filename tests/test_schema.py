import io

import pandas as pd
import pytest

from kit.schema import DataError, data_dictionary, validate

HEADER = "ticker,price_date,adj_close_usd,source_id,scale_factor\n"


def _validate(csv_text: str):
    raw = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    return validate(raw.replace("", pd.NA), "prices", "prices.csv")


def test_valid_rows_get_schema_dtypes():
    df = _validate(HEADER + "META,2024-04-25,438.4,prices,\n")
    assert list(df.columns) == ["ticker", "price_date", "adj_close_usd", "scale_factor",
                                "source_id"]
    assert df["price_date"].iloc[0] == pd.Timestamp("2024-04-25")
    assert df["adj_close_usd"].dtype == "float64"


def test_missing_column_is_named():
    with pytest.raises(DataError, match=r"prices.csv: missing column\(s\) adj_close_usd"):
        _validate("ticker,price_date,source_id,scale_factor\nMETA,2024-04-25,prices,\n")


def test_unparsable_number_names_file_line_and_column():
    with pytest.raises(DataError, match=r"prices.csv, line 3, column adj_close_usd: 'n/a'"):
        _validate(HEADER + "META,2024-04-24,490.1,prices,\nMETA,2024-04-25,n/a,prices,\n")


def test_bad_date_names_file_line_and_column():
    with pytest.raises(DataError, match=r"line 2, column price_date: '25/04/2024'"):
        _validate(HEADER + "META,25/04/2024,438.4,prices,\n")


def test_empty_required_value_is_rejected():
    with pytest.raises(DataError, match=r"line 2, column ticker: value is empty"):
        _validate(HEADER + ",2024-04-25,438.4,prices,\n")


def test_duplicate_key_names_both_lines():
    with pytest.raises(DataError, match=r"lines 2 and 3: duplicate key \(ticker, price_date\)"):
        _validate(HEADER + "META,2024-04-25,438.4,prices,\nMETA,2024-04-25,438.5,prices,\n")


def test_data_readme_is_the_schema(tmp_path):
    from kit.data import data_dir

    text = (data_dir() / "README.md").read_text()
    as_of = text.split("Data as of: ")[1].split(" ")[0]
    assert text == data_dictionary(as_of) + "\n"


def test_a_lower_case_ticker_is_named_with_its_line_not_left_orphaned():
    with pytest.raises(DataError, match=r"prices.csv, line 3, column ticker: 'meta' breaks "
                                        r"the rule: a ticker is written in upper case"):
        _validate(HEADER + "META,2024-04-24,490.1,prices,\nmeta,2024-04-25,438.4,prices,\n")


def test_a_figure_no_company_reports_is_named_before_any_kernel_runs():
    from kit import data
    fin = data.load_financials().head(2).copy()
    fin.loc[fin.index[1], "value_usd"] = 1e300
    with pytest.raises(DataError, match=r"financials \(built\), line 3, column value_usd: .* "
                                        r"breaks the rule: a figure is under \$100 trillion"):
        data.validate_frame(fin, "financials")
