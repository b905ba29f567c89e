"""Render a briefing: run the notebook with papermill, export one offline HTML file."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import papermill
from tqdm.auto import tqdm

from kit import data, metrics, sections
from kit.html import document, notebook_to_html
from kit.metrics import RequestError, check_request

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "briefing.ipynb"


class RenderError(RuntimeError):
    """A notebook cell failed; the message names the cell and keeps the executed notebook."""


def render_briefing(ticker: str, as_of=None, out_dir: Path | str = "reports",
                    progress: bool = True, notebook: Path | str | None = None) -> Path:
    """Execute the briefing notebook for (ticker, as_of) and write `<TICKER>-<as_of>.html`.

    Returns the path of the HTML file. The executed notebook is kept beside it. Nothing is
    written for a bad request; on a failing cell no HTML is written and the executed
    notebook is kept as `<TICKER>-<as_of>.failed.ipynb`. `notebook` replaces the shipped
    briefing notebook (it needs a `parameters` cell with `ticker` and `as_of`).
    """
    ticker, as_of = check_request(ticker, as_of)
    notebook = _check_notebook(notebook)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{ticker}-{as_of:%Y-%m-%d}"
    tmp_nb = _temp_path(out, ".ipynb")
    try:
        nb = papermill.execute_notebook(
            str(notebook), str(tmp_nb), cwd=str(REPO), progress_bar=progress,
            parameters={"ticker": ticker, "as_of": f"{as_of:%Y-%m-%d}"})
    except papermill.PapermillExecutionError as err:
        failed = out / f"{stem}.failed.ipynb"
        os.replace(tmp_nb, failed)
        first = (err.source or "").strip().splitlines()[:1]
        raise RenderError(f"{notebook.name}: cell [{err.exec_count}] ({first[0] if first else ''}) "
                          f"failed with {err.ename}: {err.evalue}. The executed notebook is "
                          f"kept at {failed}") from None
    except BaseException:
        tmp_nb.unlink(missing_ok=True)
        raise
    html = notebook_to_html(nb, f"{ticker} AI-infrastructure briefing as of {as_of:%Y-%m-%d}")
    target = out / f"{stem}.html"
    write_atomic(target, html)
    tmp_nb.chmod(0o644)
    os.replace(tmp_nb, out / f"{stem}.ipynb")
    return target


def _check_notebook(notebook: Path | str | None) -> Path:
    path = Path(notebook or NOTEBOOK)
    if path.suffix != ".ipynb" or not path.is_file():
        raise RequestError(f"notebook {str(path)!r} is not an .ipynb file; pass the path of "
                           "a notebook with a parameters cell (default: notebooks/briefing.ipynb)")
    return path


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


@dataclass
class BatchResult:
    """What `render_all` made: briefings by ticker, failures by ticker, the index page."""
    index: Path
    rendered: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def render_all(tickers: list[str] | None = None, as_of=None, out_dir: Path | str = "reports",
               jobs: int | None = None, progress: bool = True,
               notebook: Path | str | None = None) -> BatchResult:
    """Render several briefings (default: every company) in parallel, one process per core
    by default, with one progress bar, then write `index.html` linking them.

    Every request is checked first (a bad ticker or date stops the batch before anything is
    written). A failing briefing does not stop the others: it is listed in the result, on the
    index page and with its failing cell's error.
    """
    tickers = tickers or list(data.load_companies()["ticker"])
    requests = [check_request(t, as_of) for t in tickers]
    notebook = _check_notebook(notebook)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult(index=out / "index.html")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(requests)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_render_one, t, f"{d:%Y-%m-%d}", str(out), notebook): t
                   for t, d in requests}
        bar = tqdm(total=len(futures), desc="briefings", unit="briefing", disable=not progress)
        for future in as_completed(futures):
            ticker, path, error = future.result()
            if error:
                result.failed[ticker] = error
            else:
                result.rendered[ticker] = Path(path)
            bar.set_postfix_str(ticker)
            bar.update()
        bar.close()
    entries = []
    for ticker, day in requests:
        if ticker in result.failed:
            entries.append(dict(ticker=ticker, error=result.failed[ticker]))
        else:
            entries.append({**metrics.summary(ticker, day),
                            "file": result.rendered[ticker].name})
    title = "AI-infrastructure briefings"
    write_atomic(result.index, document(title, sections.index_html(entries, title)))
    return result


def _render_one(ticker: str, as_of: str, out_dir: str,
                notebook) -> tuple[str, str | None, str | None]:
    """One briefing in a worker process: (ticker, path, None) or (ticker, None, error)."""
    try:
        return ticker, str(render_briefing(ticker, as_of, out_dir, False, notebook)), None
    except Exception as err:  # reported with the others; the batch goes on
        return ticker, None, f"{type(err).__name__}: {err}" if not isinstance(
            err, RenderError) else str(err)
