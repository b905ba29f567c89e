"""Render a briefing: run the notebook with papermill, export one offline HTML file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import papermill

from kit.html import notebook_to_html
from kit.metrics import check_request

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "briefing.ipynb"


class RenderError(RuntimeError):
    """A notebook cell failed; the message names the cell and keeps the executed notebook."""


def render_briefing(ticker: str, as_of=None, out_dir: Path | str = "reports",
                    progress: bool = True) -> Path:
    """Execute the briefing notebook for (ticker, as_of) and write `<TICKER>-<as_of>.html`.

    Returns the path of the HTML file. The executed notebook is kept beside it. Nothing is
    written for a bad request; on a failing cell no HTML is written and the executed
    notebook is kept as `<TICKER>-<as_of>.failed.ipynb`.
    """
    ticker, as_of = check_request(ticker, as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{ticker}-{as_of:%Y-%m-%d}"
    tmp_nb = _temp_path(out, ".ipynb")
    try:
        nb = papermill.execute_notebook(
            str(NOTEBOOK), str(tmp_nb), cwd=str(REPO), progress_bar=progress,
            parameters={"ticker": ticker, "as_of": f"{as_of:%Y-%m-%d}"})
    except papermill.PapermillExecutionError as err:
        failed = out / f"{stem}.failed.ipynb"
        os.replace(tmp_nb, failed)
        raise RenderError(f"{NOTEBOOK.name}: cell {err.cell_index} failed with {err.ename}: "
                          f"{err.evalue}. The executed notebook is kept at {failed}") from None
    except BaseException:
        tmp_nb.unlink(missing_ok=True)
        raise
    html = notebook_to_html(nb, f"{ticker} AI-infrastructure briefing as of {as_of:%Y-%m-%d}")
    target = out / f"{stem}.html"
    write_atomic(target, html)
    tmp_nb.chmod(0o644)
    os.replace(tmp_nb, out / f"{stem}.ipynb")
    return target


def _temp_path(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(fd)
    return Path(name)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    tmp = _temp_path(path.parent, path.suffix)
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
