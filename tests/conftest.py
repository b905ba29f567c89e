from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO.parent / "shared" / "sources"


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    assert (SOURCES / "MANIFEST.md").is_file(), (
        f"the raw sources are missing at {SOURCES}; the data tests need ../shared/sources")
    return SOURCES


@pytest.fixture(scope="session")
def seed_briefing(tmp_path_factory) -> Path:
    """The Meta briefing as of the seed article's release, rendered once per test run."""
    from kit import render_briefing

    return render_briefing("META", "2024-04-25", tmp_path_factory.mktemp("reports"),
                           progress=False)
