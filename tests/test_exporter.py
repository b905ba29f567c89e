"""`jupyter nbconvert --to kit` on notebooks nobody here wrote (tests/notebooks/, README
there): nbconvert renders every output as `--to html` does, and the page works offline. Each
is exported both ways and the kit's page opened in Chromium with the network blocked."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.test_browser import offline_page

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).parent / "notebooks"
CASES = sorted(p.relative_to(NOTEBOOKS).as_posix() for p in NOTEBOOKS.rglob("*.ipynb"))
VIEWS = 'script[type="application/vnd.jupyter.widget-view+json"]'
DRAWN = "el => el.parentElement.querySelectorAll('[class*=widget-]').length"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every notebook exported with `--to kit` and with `--to html`: {name: (kit, html)}."""
    out = tmp_path_factory.mktemp("exported")
    for to in ("kit", "html"):
        res = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", to,
                              "--output-dir", str(out / to), *(str(NOTEBOOKS / c) for c in CASES)],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-2000:]
    return {c: (out / "kit" / Path(c).with_suffix(".html").name,
                out / "html" / Path(c).with_suffix(".html").name) for c in CASES}


def _visible_lines(nb) -> list[str]:
    """Every line of every stream and traceback, and every raw HTML cell's text."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.metadata.get("raw_mimetype") == "text/html":
            lines.append(re.sub(r"<[^>]+>", "", cell.source))
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                lines += out.text.splitlines()
            elif out.output_type == "error":
                lines += [line for tb in out.traceback for line in ANSI.sub("", tb).splitlines()]
    return [" ".join(line.split()) for line in lines if line.strip()]


@pytest.mark.parametrize("case", CASES)
def test_a_notebook_exported_to_kit_shows_everything_offline(case, exported):
    kit, html = exported[case]
    nb = nbformat.read(NOTEBOOKS / case, as_version=4)
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = {k for k, m in state.get("state", {}).items() if "model_name" in m}
    stored = [out for c in nb.cells for out in c.get("outputs", [])
              if out.get("data", {}).get("application/vnd.jupyter.widget-view+json", {})
              .get("model_id") in models]  # views of a whole stored model
    with offline_page() as (page, requests, _errors):
        page.goto(kit.resolve().as_uri())
        page.wait_for_load_state("load")
        if stored:  # the widget manager draws them once the page has loaded
            page.wait_for_function(f"[...document.querySelectorAll('{VIEWS}')]"
                                   f".filter({DRAWN}).length >= {len(stored)}", timeout=20000)
        drawn = page.eval_on_selector_all(VIEWS, f"els => els.filter({DRAWN}).length")
        charts = page.eval_on_selector_all("div.chart", "els => els.length")
        if charts:  # Vega-Lite outputs, drawn by the inlined Vega bundle
            page.wait_for_function("[...document.querySelectorAll('div.chart')]"
                                   ".every(el => el.querySelector('svg'))", timeout=20000)
        text = " ".join(page.inner_text("body").split())
        images = page.eval_on_selector_all(  # outputs' and markdown's (not widgets')
            "img:not(.widget-image)",
            "els => els.map(el => [el.complete && el.naturalWidth > 0, el.alt])")
        maths = page.eval_on_selector_all(
            "math", "els => els.map(el => el.getBoundingClientRect().width * "
                    "el.getBoundingClientRect().height)")
        outputs = page.eval_on_selector_all(".jp-OutputArea-output", "els => els.length")
        asked = list(requests)
        page.goto(html.resolve().as_uri())
        page.wait_for_load_state("load")
        stock = page.eval_on_selector_all(".jp-OutputArea-output", "els => els.length")
        stock_images = page.eval_on_selector_all(
            "img", "els => els.map(el => [el.complete && el.naturalWidth > 0, el.alt])")
    assert asked == []  # nothing from the network (the stock page asks CDNs)
    assert drawn >= len(stored)  # a widget drawn for each view the notebook stored
    vegalite = [out for c in nb.cells for out in c.get("outputs", [])
                if any(m.startswith("application/vnd.vegalite") for m in out.get("data", {}))]
    assert charts == len(vegalite)
    assert outputs == stock  # no output dropped
    assert len(images) == len(stock_images)
    assert [ok for ok, _ in images] == [ok for ok, _ in stock_images]  # every image that loads
    for line in _visible_lines(nb):
        assert line in text, line
    tex = [out for c in nb.cells for out in c.get("outputs", [])
           if "text/latex" in out.get("data", {})]
    markdown_math = any("$" in c.source for c in nb.cells if c.cell_type == "markdown")
    if tex or markdown_math:
        assert maths and all(area > 0 for area in maths)
        assert "$$" not in text and "\\frac" not in text and "\\begin" not in text
