import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from kit import metrics, render
from kit.sections import pct, usd_bn
from tests.conftest import small_notebook

pytestmark = pytest.mark.slow


def test_seed_briefing_tells_the_story_with_sources(seed_briefing):
    soup = BeautifulSoup(seed_briefing.read_text(), "html.parser")
    text = " ".join(soup.get_text(" ").split())
    for fact in ("$6.72 billion", "$7.09 billion", "$35–40 billion",
                 "raised from $30–37 billion", "−10.6 %".replace("−", "-"),
                 "weiter steigen", "about 15 percent", "Meta erhöht Infrastrukturinvestitionen"):
        assert fact in text, fact
    assert "news (seed article" in text
    links = {a["href"] for a in soup.find_all("a")}
    assert any("sec.gov/Archives/edgar/data/1326801" in h for h in links)
    assert any(h.startswith("https://data.sec.gov/api/xbrl/companyfacts/") for h in links)


def test_seed_briefing_hides_code_and_has_every_chart(seed_briefing):
    doc = seed_briefing.read_text()
    assert "kit.load_briefing" not in doc
    nb = json.loads(render.NOTEBOOK.read_text())
    chart_cells = [c for c in nb["cells"] if "_chart(" in "".join(c["source"])]
    assert len(chart_cells) == 7  # capex, intensity, growth, funding, guidance, reaction, peers
    assert doc.count('class="chart"') == len(chart_cells)


def test_seed_briefing_has_every_section_and_a_reproducible_footer(seed_briefing):
    soup = BeautifulSoup(seed_briefing.read_text(), "html.parser")
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert headings == ["Headline figures", "Capital expenditures by quarter",
                        "Capex as a share of revenue", "Growth", "Funding and depreciation",
                        "How the outlook moved",
                        "How the stock reacted", "Peers", "What management said",
                        "Data quality", "Methodology", "Sources"]
    footer = soup.find("footer").get_text(" ")
    from kit import __version__, archive
    assert "ticker = META, as_of = 2024-04-25" in footer
    # the digest of the data visible on the date, and the render fingerprint it is part of
    assert f"kit {__version__}" in footer and archive.data_digest("2024-04-25") in footer
    stamp = soup.find("meta", attrs={"name": "kit-fingerprint"})["content"]
    assert f"Render fingerprint {stamp}" in soup.get_text(" ")


def test_executed_notebook_is_kept_with_its_parameters(seed_briefing):
    nb = nbformat.read(seed_briefing.with_suffix(".ipynb"), as_version=4)
    assert nb.metadata["papermill"]["parameters"] == {"ticker": "META", "as_of": "2024-04-25",
                                                      "lang": "en"}


def test_committed_notebook_has_no_outputs_and_a_parameters_cell():
    nb = json.loads(render.NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"]["tags"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "kit.cli", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.robustness
def test_cli_unknown_ticker_exits_2_and_writes_nothing(tmp_path):
    res = _cli("render", "NOPE", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 2
    assert "unknown ticker 'NOPE'; valid tickers: AAPL, AMZN, CRWV" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.robustness
def test_cli_as_of_before_the_data_exits_2_and_writes_nothing(tmp_path):
    res = _cli("render", "META", "--as-of", "2010-01-01", "--out", str(tmp_path / "o"),
               cwd=tmp_path)
    assert res.returncode == 2
    assert "before the first META data" in res.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.robustness
def test_a_failing_cell_keeps_the_notebook_and_writes_no_html(tmp_path, monkeypatch):
    broken = small_notebook(tmp_path / "broken.ipynb", "raise ValueError('boom')")
    monkeypatch.setattr(render, "NOTEBOOK", broken)
    out = tmp_path / "out"
    with pytest.raises(render.RenderError, match="cell .* failed with ValueError: boom"):
        render.render_briefing("META", "2024-04-25", out, progress=False)
    assert [p.name for p in out.iterdir()] == ["META-2024-04-25.failed.ipynb"]


def test_a_reused_kernel_renders_the_same_briefing_as_a_fresh_one(tmp_path):
    from kit.kernels import WarmKernel
    kernel = WarmKernel()
    try:
        render.render_briefing("META", "2024-04-25", tmp_path / "a", False, kernel=kernel)
        reused = render.render_briefing("MSFT", "2025-02-01", tmp_path / "a", False,
                                        kernel=kernel)
    finally:
        kernel.shutdown()
    fresh = render.render_briefing("MSFT", "2025-02-01", tmp_path / "b", False)
    assert reused.read_bytes() == fresh.read_bytes()
    a = nbformat.read(reused.with_suffix(".ipynb"), as_version=4)
    b = nbformat.read(fresh.with_suffix(".ipynb"), as_version=4)
    assert [c.get("execution_count") for c in a.cells] == [c.get("execution_count")
                                                            for c in b.cells]


def test_a_reused_kernel_starts_each_notebook_with_an_empty_namespace(tmp_path):
    from kit.kernels import WarmKernel
    path = small_notebook(tmp_path / "probe.ipynb",
                          "assert 'left_over' not in globals()\nleft_over = 1")
    kernel = WarmKernel()
    try:
        for ticker in ("META", "MSFT", "NVDA"):
            render.render_briefing(ticker, None, tmp_path / "out", False, path, kernel)
    finally:
        kernel.shutdown()
    assert len(list((tmp_path / "out").glob("*.html"))) == 3


@pytest.mark.robustness
def test_a_kernel_that_dies_while_it_is_prepared_is_reported_at_once():
    from kit.kernels import WarmKernel
    kernel = WarmKernel(warmup="import os\nos._exit(3)")
    try:
        error = kernel.ready()
    finally:
        kernel.shutdown()
    assert "the kernel died while it was being prepared" in str(error)


def test_kernels_talk_over_private_sockets_not_tcp():
    from kit.kernels import WarmKernel
    kernel = WarmKernel()
    try:
        assert kernel.ready() is None
        info = kernel.km.get_connection_info()
        assert info["transport"] == "ipc" and info["ip"].startswith(kernel._sockets)
    finally:
        kernel.shutdown()
    assert not os.path.exists(kernel._sockets)


def test_a_notebook_staged_with_outputs_is_stored_without_them(tmp_path):
    """In a fresh clone after the set-up's `make git-filter`, a shipped notebook run and
    saved with outputs is staged clean (nbstripout as a git filter), its cell ids kept."""
    repo = Path(render.__file__).resolve().parent.parent
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    res = subprocess.run(["make", "--no-print-directory", "git-filter", f"VENV={sys.prefix}"],
                         cwd=clone, capture_output=True, text=True)
    assert res.returncode == 0 and "staged without outputs" in res.stdout, res.stderr
    path = clone / "notebooks" / "briefing.ipynb"
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["an output\n"]}]
        cell["execution_count"] = i + 1
    path.write_text(json.dumps(nb, indent=1) + "\n")
    subprocess.run(["git", "add", "notebooks/briefing.ipynb"], cwd=clone, check=True)
    staged = subprocess.run(["git", "show", ":notebooks/briefing.ipynb"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    assert "an output" not in staged
    kept = json.loads(staged)
    assert [c["id"] for c in kept["cells"]] == [c["id"] for c in nb["cells"]]
    assert all(not c["outputs"] and c["execution_count"] is None
               for c in kept["cells"] if c["cell_type"] == "code")
    assert "an output" in path.read_text()  # the user's file keeps what they saw


def _story(page: Path):
    soup = BeautifulSoup(page.read_text(), "html.parser")
    story = soup.select_one("header.briefing-title p.story")
    first = soup.find("h2")  # the story comes before the first section
    assert story is not None and story.find_next("h2") is first
    ids = {el["id"] for el in soup.select("[id^=headline-]")}
    links = story.select("a.figure")
    assert links and all(a["href"][1:] in ids for a in links)  # each figure: its row
    figures = {}
    for a in links:
        figures.setdefault(a["href"][1:], []).append(a.get_text())
    return story.get_text(" "), figures


def test_the_seed_briefing_opens_with_its_story(seed_briefing):
    """Issue 29: the first lines carry the quarter's capex, the raised outlook and the stock's
    move, each linked to its row of the headline table."""
    text, figures = _story(seed_briefing)
    b = metrics.load_briefing("META", "2024-04-25")
    latest = b.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    assert figures["headline-latest"][0] == usd_bn(latest["capex_usd"]) == "$6.72 billion"
    assert figures["headline-outlook"] == ["$35–40 billion"] and "raised" in text
    move = pct(b.reactions.iloc[-1]["move_pct"])
    assert figures["headline-reaction"][0] == move == "-10.6 %"  # the seed article's reaction


def test_another_company_at_another_date_opens_with_its_own_figures(all_briefings):
    page = next(all_briefings.glob("NVDA-*.html"))
    text, figures = _story(page)
    b = metrics.load_briefing("NVDA", page.stem.split("-", 1)[1])
    last = b.quarters.dropna(subset=["capex_usd"]).iloc[-1]
    assert figures["headline-latest"][0] == usd_bn(last["capex_usd"])
    assert last["quarter_label"] in text and b.company_name in text
    assert figures["headline-reaction"] == [pct(b.reactions.iloc[-1]["move_pct"]),
                                            pct(b.reactions.iloc[-1]["excess_pct"])]


def test_what_management_said_is_managements_words_and_notes_stay_in_the_data(seed_briefing):
    """Issue 29: the statements section holds officers' and the company's own words; the
    seed's "significantly more" and energy statements stay with their sources; news
    paraphrases go (the move's report sits under the reaction); no maintainer's note."""
    from kit import data

    soup = BeautifulSoup(seed_briefing.read_text(), "html.parser")
    text = soup.get_text(" ")
    heading = soup.find("h2", string="What management said")
    section = []
    for el in heading.find_all_next():
        if el.name == "h2":
            break
        section.append(el)
    said = [li for el in section for li in ([el] if el.name == "li" else [])]
    assert said and all("news (seed article" not in li.get_text() or "(CEO)" in li.get_text()
                        or "(CFO)" in li.get_text() for li in said)
    quotes = " ".join(li.get_text(" ") for li in said)
    assert "weiter steigen" in quotes  # "significantly more", the CEO in the seed article
    energy = data.load_statements().set_index("statement_id").loc["META-2024-04-24-07", "text"]
    assert energy in quotes
    assert "Found with the kit" not in text and "PDF text extraction" not in text
    reaction = soup.find("h2", string="How the stock reacted")
    around = " ".join(el.get_text(" ") for el in reaction.find_all_next("li", limit=5))
    assert "15 Prozent" in around  # what news reported of the move, under the move
