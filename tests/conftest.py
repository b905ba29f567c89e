import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO.parent / "shared" / "sources"


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    assert (SOURCES / "MANIFEST.md").is_file(), (
        f"the raw sources are missing at {SOURCES}; the data tests need ../shared/sources")
    return SOURCES


def small_notebook(path: Path, *code: str) -> Path:
    """A notebook with the briefing's parameters cell (ticker, as_of) and `code` cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("ticker = 'X'\nas_of = None",
                                          metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(c) for c in code)]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def seed_briefing(tmp_path_factory) -> Path:
    """The Meta briefing as of the seed article's release, rendered once per test run."""
    from kit import render_briefing

    return render_briefing("META", "2024-04-25", tmp_path_factory.mktemp("reports"),
                           progress=False)


@pytest.fixture(scope="session")
def all_briefings(tmp_path_factory) -> Path:
    """`kit render --all`, run once per test session as a user would: the reports folder."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("all")
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "--all", "--out", str(out),
                          "--no-progress"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def german_reports(tmp_path_factory) -> Path:
    """`kit render META MSFT --as-of 2024-04-25`, then the same with `--lang de`, then the
    English again (up to date, so only its index is written, now linking the German too)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("de")
    for lang in ("en", "de", "en"):
        res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "MSFT",
                              "--as-of", "2024-04-25", "--lang", lang, "--out", str(out),
                              "--no-progress"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-3000:]
    return out


def pytest_terminal_summary(terminalreporter):
    """The robustness section: how many bad-input, fault and hostile-text cases ran, and how
    many were handled as specified (passed)."""
    tried = handled = 0
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            counted = report.when == "call" or outcome == "error"
            if "robustness" in getattr(report, "keywords", ()) and counted:
                tried += 1
                handled += outcome == "passed"
    if tried:
        terminalreporter.write_sep("=", f"robustness: {tried} cases tried, {handled} handled "
                                        "as specified")
    corpus = sys.modules.get("tests.test_corpus")
    if corpus and corpus.RESULTS:  # `kit data add` on the real documents of tests/corpus/
        terminalreporter.write_sep("=", f"corpus: {len(corpus.RESULTS)} real SEC filers")
        for line in corpus.summary(corpus.RESULTS):
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def archive_reports(tmp_path_factory) -> Path:
    """`kit render --every-release`, run once per test session as a user would."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("archive")
    res = subprocess.run([sys.executable, "-m", "kit.cli", "render", "--every-release",
                          "--out", str(out), "--no-progress"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return out
