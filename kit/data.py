"""Load the tables of data/ as validated DataFrames: `load_<table>()`."""

from __future__ import annotations

import hashlib
import os
import threading
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
    return _validated(name, directory)


def _validated(name: str, directory: str) -> pd.DataFrame:
    """load_table, kept in the kit's cache (see `kept`): checking a table's schema takes a
    quarter of a second in every process and kernel, reading the pickle a few milliseconds.
    It is keyed by the file's path, size, modification time and inode and by the kit's
    code, so any change is read afresh."""
    path = Path(directory) / TABLES[name].filename
    try:
        st = path.stat()
    except OSError:
        return load_table(name, directory)  # names what is missing
    where = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    state = hashlib.sha256(f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{code_digest()}"
                           .encode()).hexdigest()[:16]
    return kept(cache_dir() / "tables" / f"{name}-{where}-{state}.pkl",
                lambda: load_table(name, directory), replaces=f"{name}-{where}-*.pkl")


def kept(path: Path, make, replaces: str | None = None) -> pd.DataFrame:
    """The frame pickled at `path` in the kit's cache, else `make()`'s, written there
    atomically (replacing the files matching `replaces` beside it). Unreadable (another
    pandas) means made again; a cache that cannot be written is only slower."""
    try:
        return pd.read_pickle(path)
    except Exception:  # noqa: BLE001 - missing, unreadable or from another pandas
        pass
    frame = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(replaces) if replaces else ():
            old.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        frame.to_pickle(tmp)
        os.replace(tmp, path)
    except OSError:
        pass
    return frame


@cache
def code_digest() -> str:
    """SHA-256 of the kit's version, its Python code and catalogs, and the versions of the
    libraries that shape its tables and pages: what a cached frame or a page was made by."""
    from importlib import metadata

    from kit import __version__

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*root.rglob("*.py"), *root.glob("locale/*/LC_MESSAGES/*.po")]):
        if "_shipped" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}\0".encode())
    return digest.hexdigest()


# Libraries whose version changes what the kit makes.
LIBRARIES = ("altair", "vl-convert-python", "pandas", "papermill", "nbformat", "mistune",
             "babel")


def _loader(name: str):
    def load(directory: Path | str | None = None) -> pd.DataFrame:
        return _cached(name, str(directory or data_dir())).copy()

    load.__name__ = f"load_{name}"
    load.__doc__ = f"The `{name}` table: {TABLES[name].description}"
    return load


load_sources = _loader("sources")
load_companies = _loader("companies")
load_company_notes = _loader("company_notes")
load_free_cash_flow_definitions = _loader("free_cash_flow_definitions")
load_free_cash_flow_reviews = _loader("free_cash_flow_reviews")
load_financials = _loader("financials")
load_capex_guidance = _loader("capex_guidance")
load_earnings_releases = _loader("earnings_releases")
load_prices = _loader("prices")
load_release_sentences = _loader("release_sentences")
load_statements = _loader("statements")
load_statement_translations = _loader("statement_translations")


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
