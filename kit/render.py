"""Render briefings: papermill executes the notebook on a warm kernel, the kit exports one
offline HTML file per briefing in this process, several briefings run in parallel."""

from __future__ import annotations

import copy
import os
import queue
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill
from tqdm.auto import tqdm

from kit import data, metrics, sections
from kit.errors import NoDataYet, RenderError
from kit.html import document, notebook_to_html
from kit.kernels import WarmKernel, default_jobs
from kit.metrics import RequestError, check_request

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "briefing.ipynb"


def render_briefing(ticker: str, as_of=None, out_dir: Path | str = "reports",
                    progress: bool = True, notebook: Path | str | None = None,
                    kernel: WarmKernel | None = None) -> Path:
    """Execute the briefing notebook for (ticker, as_of) and write `<TICKER>-<as_of>.html`.

    Returns the path of the HTML file. The executed notebook is kept beside it. Nothing is
    written for a bad request; on a failing cell no HTML is written and the executed
    notebook is kept as `<TICKER>-<as_of>.failed.ipynb`. `notebook` replaces the shipped
    briefing notebook (it needs a `parameters` cell with `ticker` and `as_of`). `kernel`
    lends a warm kernel (kit.kernels); by default one is started here, first, so that it
    warms up while the request is checked.
    """
    own = kernel is None
    kernel = kernel or WarmKernel()
    try:
        ticker, as_of = check_request(ticker, as_of)
        path = _check_notebook(notebook)
        return _render(kernel, nbformat.read(path, as_version=4), path.name, ticker, as_of,
                       Path(out_dir), progress)
    finally:
        if own:
            kernel.shutdown()


def _render(kernel: WarmKernel, source, name: str, ticker: str, as_of, out: Path,
            progress: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{ticker}-{as_of:%Y-%m-%d}"
    tmp_nb = _temp_path(out, ".ipynb")
    try:
        nb = kernel.run(copy.deepcopy(source), tmp_nb, progress,
                        {"ticker": ticker, "as_of": f"{as_of:%Y-%m-%d}"})
    except papermill.PapermillExecutionError as err:
        failed = out / f"{stem}.failed.ipynb"
        os.replace(tmp_nb, failed)
        first = (err.source or "").strip().splitlines()[:1]
        raise RenderError(f"{name}: cell [{err.exec_count}] ({first[0] if first else ''}) "
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
    """What `render_all` made: briefings by ticker, failures by ticker, the index page, and
    how long each briefing took on its kernel."""
    index: Path
    rendered: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    no_data: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def render_all(tickers: list[str] | None = None, as_of=None, out_dir: Path | str = "reports",
               jobs: int | None = None, progress: bool = True,
               notebook: Path | str | None = None,
               kernels: list[WarmKernel] | None = None) -> BatchResult:
    """Render several briefings (default: every company) with one progress bar, then write
    `index.html` linking them.

    `jobs` warm kernels (default: kernels.default_jobs) start at once and each serves several
    briefings in turn; the HTML is exported here, in this process. Every request is checked
    first (a bad ticker, date or notebook stops the batch before anything is written). Every
    briefing is as of one date (default: the data's date); a company with nothing public by
    then is listed on the index as such. A failing briefing does not stop the others: it is
    listed in the result, on the index page and with its failing cell's error. `kernels`
    lends already started kernels (the caller shuts them down).
    """
    wanted = tickers or None
    own = kernels is None
    if own:
        kernels = [WarmKernel() for _ in range(default_jobs(jobs, wanted))]
    try:
        names = wanted or list(data.load_companies()["ticker"])
        day = metrics.check_date(as_of)  # one date for every briefing of the batch
        requests, no_data = [], {}
        for name in names:
            try:
                requests.append(check_request(name, day))
            except NoDataYet:  # listed on the index; the others render
                ticker = check_request(name)[0]
                no_data[ticker] = (f"no {ticker} figures public by {day:%Y-%m-%d} (the first "
                                   f"are from {metrics.data_range(ticker)[0]:%Y-%m-%d})")
        path = _check_notebook(notebook)
        source = nbformat.read(path, as_version=4)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        result = BatchResult(index=out / "index.html")
        todo: queue.Queue = queue.Queue()
        for request in requests:
            todo.put(request)
        done: queue.Queue = queue.Queue()

        def serve(kernel: WarmKernel) -> None:
            while True:
                try:
                    ticker, day = todo.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                try:
                    done.put((ticker, _render(kernel, source, path.name, ticker, day, out,
                                              False), None, time.perf_counter() - start))
                except Exception as err:  # reported with the others; the batch goes on
                    done.put((ticker, None, str(err) if isinstance(err, RenderError)
                              else f"{type(err).__name__}: {err}", 0.0))

        workers = [threading.Thread(target=serve, args=(k,), daemon=True) for k in kernels]
        for worker in workers:
            worker.start()
        summaries = {t: metrics.summary(t, d) for t, d in requests}  # while kernels work
        with tqdm(total=len(requests), desc="briefings", unit="briefing",
                  disable=not progress) as bar:
            for _ in requests:
                ticker, made, error, seconds = done.get()
                if error:
                    result.failed[ticker] = error
                else:
                    result.rendered[ticker], result.seconds[ticker] = made, seconds
                bar.set_postfix_str(ticker)
                bar.update()
        for worker in workers:
            worker.join()
    finally:
        for kernel in kernels if own else []:
            kernel.shutdown()
    result.no_data = no_data
    order = [*(t for t, _ in requests), *no_data]
    entries = [dict(ticker=t, no_data=no_data[t]) if t in no_data
               else dict(ticker=t, error=result.failed[t]) if t in result.failed
               else {**summaries[t], "file": result.rendered[t].name} for t in sorted(
                   order, key=[n.strip().upper() for n in names].index)]
    title = "AI-infrastructure briefings"
    write_atomic(result.index, document(title, sections.index_html(entries, title, day)))
    return result

