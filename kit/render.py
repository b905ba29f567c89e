"""Render briefings: papermill executes the notebook on a warm kernel, the kit exports one
offline HTML file per briefing in this process, several briefings run in parallel.

Every request is checked before a kernel starts (tickers, date, output folder, notebook,
number of kernels); an interruption shuts the kernels down and removes temporary files."""

from __future__ import annotations

import copy
import logging
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kit import atomic, data, metrics, paths
from kit.errors import NoDataYet, RenderError
from kit.kernels import WarmKernel, check_jobs
from kit.metrics import RequestError, check_request

# papermill, nbformat, the exporter and the sections are imported where they are used: the
# request is checked first, then the kernels start, and these imports (about a second) run
# while the kernels boot.

NOTEBOOK = paths.notebook("briefing.ipynb")


def render_briefing(ticker: str, as_of=None, out_dir: Path | str = "reports",
                    progress: bool = True, notebook: Path | str | None = None,
                    kernel: WarmKernel | None = None) -> Path:
    """Execute the briefing notebook for (ticker, as_of) and write `<TICKER>-<as_of>.html`.

    Returns the path of the HTML file. The executed notebook is kept beside it. Nothing is
    written for a bad request; on a failing cell no HTML is written and the executed
    notebook is kept as `<TICKER>-<as_of>.failed.ipynb`. `notebook` replaces the shipped
    briefing notebook (it needs a `parameters` cell with `ticker` and `as_of`). `kernel`
    lends a warm kernel (kit.kernels); by default one is started once the request checks.
    """
    ticker, as_of = check_request(ticker, as_of)
    source, name = check_notebook(notebook)
    out = atomic.check_output_folder(Path(out_dir))
    own = kernel is None
    try:
        kernel = kernel or WarmKernel()
        return _render(kernel, source, name, ticker, as_of, out, progress)
    finally:
        if own and kernel is not None:
            kernel.shutdown()
        atomic.clean_temps()


def _render(kernel: WarmKernel, source, name: str, ticker: str, as_of, out: Path,
            progress: bool) -> Path:
    import papermill

    from kit.html import notebook_to_html

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{ticker}-{as_of:%Y-%m-%d}"
    tmp_nb = atomic.temp_path(out, ".ipynb")
    try:
        nb = kernel.run(copy.deepcopy(source), tmp_nb, progress,
                        {"ticker": ticker, "as_of": f"{as_of:%Y-%m-%d}"})
        html = notebook_to_html(nb)  # titled from its parameters, as nbconvert --to kit does
        target = out / f"{stem}.html"
        atomic.write_text(target, html)
        tmp_nb.chmod(0o644)
        os.replace(tmp_nb, out / f"{stem}.ipynb")
        return target
    except papermill.PapermillExecutionError as err:
        failed = out / f"{stem}.failed.ipynb"
        os.replace(tmp_nb, failed)
        first = (err.source or "").strip().splitlines()[:1]
        raise RenderError(f"{name}: cell [{err.exec_count}] ({first[0] if first else ''}) "
                          f"failed with {err.ename}: {err.evalue}. The executed notebook is "
                          f"kept at {failed}") from None
    finally:
        tmp_nb.unlink(missing_ok=True)
        atomic.done(tmp_nb)


def check_notebook(notebook: Path | str | None) -> tuple[dict, str]:
    """The notebook to execute and its file name, or RequestError naming what is wrong."""
    import nbformat

    path = Path(notebook or NOTEBOOK)
    hint = "pass the path of a notebook with a parameters cell (default: notebooks/briefing.ipynb)"
    if path.suffix != ".ipynb" or not path.is_file():
        raise RequestError(f"notebook {str(path)!r} is not an .ipynb file; {hint}")
    try:
        source = nbformat.read(path, as_version=4)
        nbformat.validate(source)
    except Exception as err:  # nbformat raises several kinds for a file that is not a notebook
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RequestError(f"notebook {str(path)!r} is not a valid notebook ({reason}); "
                           f"{hint}") from None
    return source, path.name


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` without ever leaving a half-written file (kit.atomic)."""
    atomic.write_text(path, text)


@dataclass
class BatchResult:
    """What `render_all` made: briefings by ticker, failures by ticker, companies with no
    data by the date, the index page, and how long each briefing took on its kernel."""
    index: Path
    rendered: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    no_data: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def render_all(tickers: list[str] | None = None, as_of=None, out_dir: Path | str = "reports",
               jobs: int | None = None, progress: bool = True,
               notebook: Path | str | None = None) -> BatchResult:
    """Render several briefings (default: every company) with one progress bar, then write
    `index.html` linking them.

    Everything is checked before a kernel starts: a bad ticker, date, output folder,
    notebook or number of kernels stops the batch before anything is written. Every
    briefing is as of one date (default: the data's date); a company with nothing public by
    then is listed on the index as such. `jobs` warm kernels (kernels.check_jobs; never more
    than briefings) each serve several briefings in turn; the HTML is exported here. A
    failing briefing does not stop the others: it is listed in the result, on the index page
    and with its failing cell's error. An interruption (Ctrl-C, SIGTERM) shuts the kernels
    down and removes the temporary files before it propagates.
    """
    from tqdm.auto import tqdm

    from kit import sections
    from kit.html import document

    names = tickers or list(data.load_companies()["ticker"])
    day = metrics.check_date(as_of)  # one date for every briefing of the batch
    requests, no_data = [], {}
    for name in names:
        try:
            requests.append(check_request(name, day))
        except NoDataYet:  # listed on the index; the others render
            ticker = check_request(name)[0]
            no_data[ticker] = (f"no {ticker} figures public by {day:%Y-%m-%d} (the first "
                               f"are from {metrics.data_range(ticker)[0]:%Y-%m-%d})")
    jobs = min(check_jobs(jobs), max(len(requests), 1))
    source, name = check_notebook(notebook)
    out = atomic.check_output_folder(Path(out_dir))
    result = BatchResult(index=out / "index.html", no_data=no_data)
    todo: queue.Queue = queue.Queue()
    for request in requests:
        todo.put(request)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()

    unready: list[str] = []  # why kernels could not serve

    def serve(kernel: WarmKernel) -> None:
        error = kernel.ready()
        if error is not None:  # the other kernels take its briefings
            unready.append(str(error))
            return
        while not stop.is_set():
            try:
                ticker, when = todo.get_nowait()
            except queue.Empty:
                return
            start = time.perf_counter()
            try:
                done.put((ticker, _render(kernel, source, name, ticker, when, out, False),
                          None, time.perf_counter() - start))
            except Exception as err:  # reported with the others; the batch goes on
                done.put((ticker, None, str(err) if isinstance(err, RenderError)
                          else f"{type(err).__name__}: {err}", 0.0))

    kernels: list[WarmKernel] = []
    workers: list[threading.Thread] = []
    try:
        for _ in range(jobs if requests else 0):
            kernels.append(WarmKernel())
        workers = [threading.Thread(target=serve, args=(k,), daemon=True) for k in kernels]
        for worker in workers:
            worker.start()
        summaries = {t: metrics.summary(t, d) for t, d in requests}  # while kernels work
        with tqdm(total=len(requests), desc="briefings", unit="briefing",
                  disable=not progress) as bar:
            while len(result.failed) + len(result.rendered) < len(requests):
                try:
                    ticker, made, error, seconds = done.get(timeout=1)
                except queue.Empty:
                    if any(w.is_alive() for w in workers):
                        continue
                    while not todo.empty():  # no kernel is left to take these
                        left = todo.get_nowait()[0]
                        result.failed[left] = ("KernelError: no kernel could render it: "
                                               + "; ".join(sorted(set(unready))))
                    continue
                if error:
                    result.failed[ticker] = error
                else:
                    result.rendered[ticker], result.seconds[ticker] = made, seconds
                bar.set_postfix_str(ticker)
                bar.update()
    finally:
        stop.set()
        interrupted = isinstance(sys.exc_info()[1], (KeyboardInterrupt, SystemExit))
        if interrupted:  # the workers' notebooks end with "kernel died": nothing to report
            logging.disable(logging.CRITICAL)
        closing = [threading.Thread(target=k.shutdown) for k in kernels]  # all at once
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        # Normally the workers are idle by now; when interrupted, one may wait for output
        # from its dead kernel: give them a moment together, the files are removed anyway.
        until = time.monotonic() + (2 if sys.exc_info()[0] else 30)
        for worker in workers:
            if worker.is_alive():  # a worker not yet started cannot be joined
                worker.join(timeout=max(0.0, until - time.monotonic()))
        atomic.clean_temps()
        if interrupted:
            logging.disable(logging.NOTSET)
    order = {n.strip().upper(): i for i, n in enumerate(names)}
    entries = [dict(ticker=t, no_data=no_data[t]) if t in no_data
               else dict(ticker=t, error=result.failed[t]) if t in result.failed
               else {**summaries[t], "file": result.rendered[t].name}
               for t in sorted([*(t for t, _ in requests), *no_data], key=order.get)]
    title = "AI-infrastructure briefings"
    atomic.write_text(result.index, document(title, sections.index_html(entries, title, day)))
    return result
