"""Where things are, defined once: the shipped notebooks, data and additions, the data folder
the kit reads and the one it writes, the raw sources, the cache. `KIT_*` variables win.

From a checkout of the repository (an editable install too) the shipped folders are the
repository's own `notebooks/`, `data/` and `additions/`, and builds write to its `data/`. An
installed wheel carries them in `kit._shipped` (importlib.resources) and never writes there:
refreshed or rebuilt data goes to the user's data folder (platformdirs), which the kit then
reads.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP = "ai-capex-kit"
MARKER = ".kit-data"  # in every data folder the kit writes (kit.atomic)
CHECKOUT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "notebooks").is_dir()


def shipped(folder: str) -> Path:
    """A folder the kit ships: "notebooks", "data" or "additions"."""
    if IN_CHECKOUT:
        return CHECKOUT / folder
    return Path(str(resources.files("kit._shipped") / folder))  # installed on disk by pip


def notebook(name: str = "briefing.ipynb") -> Path:
    return shipped("notebooks") / name


def additions_dir() -> Path:
    """The kit's own sourced rows and the companies with their settings: $KIT_ADDITIONS,
    else the shipped additions/."""
    return Path(os.environ.get("KIT_ADDITIONS") or shipped("additions"))


def user_data_dir() -> Path:
    """The user's own data folder, for data an installed kit builds or refreshes."""
    return Path(platformdirs.user_data_dir(APP)) / "data"


def data_dir() -> Path:
    """The data folder the kit reads: $KIT_DATA_DIR; else, for an installed kit, the user's
    data folder once the kit has written one there; else the shipped data."""
    if os.environ.get("KIT_DATA_DIR"):
        return Path(os.environ["KIT_DATA_DIR"])
    if not IN_CHECKOUT and (user_data_dir() / MARKER).is_file():
        return user_data_dir()
    return shipped("data")


def output_data_dir() -> Path:
    """Where `kit data build` and `refresh` write by default: $KIT_DATA_DIR; in a checkout
    its data/; else the user's data folder (never into the installed package)."""
    if os.environ.get("KIT_DATA_DIR"):
        return Path(os.environ["KIT_DATA_DIR"])
    return CHECKOUT / "data" if IN_CHECKOUT else user_data_dir()


def sources_dir() -> Path:
    """The raw public files `kit data build` reads: $KIT_SOURCES, else shared/sources beside
    the repository."""
    return Path(os.environ.get("KIT_SOURCES") or CHECKOUT.parent / "shared" / "sources")


def cache_dir() -> Path:
    """What the kit can rebuild (downloads, the Vega bundle): $KIT_CACHE_DIR, else the
    user's cache folder."""
    return Path(os.environ.get("KIT_CACHE_DIR") or platformdirs.user_cache_dir(APP))
