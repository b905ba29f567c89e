"""Load the tables of data/ as validated DataFrames: `load_<table>()`."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pandas as pd

from kit.paths import cache_dir, data_dir
from kit.schema import TABLES, DataError, to_csv_frame, validate

__all__ = ["cache_dir", "data_dir"]  # where things are: kit.paths


def load_table(name: str, directory: Path | str | None = None) -> pd.DataFrame:
    """Read one table and enforce its schema; raise DataError naming file, line and column."""
    path = Path(directory or data_dir()) / TABLES[name].filename
    if not path.is_file():
        raise DataError(f"{path}: missing; run `kit data build` to create data/")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; run `kit data build` to rebuild "
                        "data/") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as err:
        raise DataError(f"{path}: not a readable CSV file ({err}); run `kit data build` to "
                        "rebuild data/") from None
    return validate(raw.replace("", pd.NA), name, str(path))


def validate_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table built in memory, typed exactly as `load_table` would read it back."""
    text = to_csv_frame(df, name).astype("string").replace("", pd.NA)
    return validate(text, name, f"{name} (built)")


@cache
def _cached(name: str, directory: str) -> pd.DataFrame:
    return load_table(name, directory)


def _loader(name: str):
    def load(directory: Path | str | None = None) -> pd.DataFrame:
        return _cached(name, str(directory or data_dir())).copy()

    load.__name__ = f"load_{name}"
    load.__doc__ = f"The `{name}` table: {TABLES[name].description}"
    return load


load_sources = _loader("sources")
load_companies = _loader("companies")
load_financials = _loader("financials")
load_capex_guidance = _loader("capex_guidance")
load_earnings_releases = _loader("earnings_releases")
load_prices = _loader("prices")
load_statements = _loader("statements")


def load_all(directory: Path | str | None = None) -> None:
    """Read and validate every table into the cache (a warm kernel does this ahead)."""
    for name in TABLES:
        _cached(name, str(directory or data_dir()))


def fingerprint(directory: Path | str | None = None) -> str:
    """SHA-256 over every table file of the data folder (name and bytes, in name order): the
    footer of a briefing records it, so two briefings can be shown to use the same data."""
    folder = Path(directory or data_dir())
    digest = hashlib.sha256()
    for name in sorted(t.filename for t in TABLES.values()):
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return digest.hexdigest()


def as_of_date(directory: Path | str | None = None) -> pd.Timestamp:
    """The latest date on which anything in the data was published (or traded)."""
    return max(load_financials(directory)["published_date"].max(),
               load_prices(directory)["price_date"].max())
