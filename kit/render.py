"""Render briefings: papermill executes the notebook on a warm kernel, the kit exports one
offline HTML file per briefing in this process, several briefings run in parallel.

Every request is checked before a kernel starts (tickers, date, output folder, notebook,
number of kernels); an interruption shuts the kernels down and removes temporary files."""

from __future__ import annotations

import logging
import queue
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kit import archive, atomic, data, i18n, metrics, paths
from kit.errors import NoDataYet, RenderError
from kit.i18n import _
from kit.jobs import Job, Outcome, damaged, execute, parameters, stem_of, write
from kit.kernels import WarmKernel, check_jobs
from kit.metrics import RequestError, check_request

# papermill, nbformat, the exporter and the sections are imported where they are used: the
# request is checked first, then the kernels start, and these imports (about a second) run
# while the kernels boot.

NOTEBOOK = paths.notebook("briefing.ipynb")


def index_name(lang: str = i18n.SOURCE) -> str:
    return "index.html" if lang == i18n.SOURCE else f"index.{lang}.html"


def render_briefing(ticker: str, as_of=None, out_dir: Path | str = "reports",
                    progress: bool = True, notebook: Path | str | None = None,
                    kernel: WarmKernel | None = None, force: bool = False,
                    log=None, lang: str = i18n.SOURCE) -> Path:
    """Execute the briefing notebook for (ticker, as_of) and write `<TICKER>-<as_of>.html`
    (`<TICKER>-<as_of>.<lang>.html` in a language other than English).

    Returns the path of the HTML file. The executed notebook is kept beside it. Nothing is
    written for a bad request; on a failing cell no HTML is written and the executed
    notebook is kept as `<TICKER>-<as_of>.failed.ipynb`. `notebook` replaces the shipped
    briefing notebook (it needs a `parameters` cell with `ticker` and `as_of`). `kernel`
    lends a warm kernel (kit.kernels); by default one is started once the request checks.
    A page whose fingerprint matches (archive.fingerprint) is up to date and left as it is,
    unless `force`; `log` is told so.
    """
    ticker, as_of = check_request(ticker, as_of)
    lang = i18n.check_lang(lang)
    source, name = check_notebook(notebook)
    out = atomic.check_output_folder(Path(out_dir))
    atomic.clean_leftovers(out)  # of runs killed before they could clean up
    job = jobs_for(source, [(ticker, as_of)], lang)[0]
    target = out / f"{job.stem}.html"
    if not force and target.exists():
        why = damaged(target)
        if why is None and archive.read_stamp(target)[0] == job.fingerprint:
            if log:
                log(f"{target} is up to date (its fingerprint matches); --force renders it "
                    "again")
            return target
        if why and log:
            log(f"{target}: rendered again: {why}")
    own = kernel is None
    try:
        kernel = kernel or WarmKernel()
        return write(execute(kernel, source, name, job, out, progress), out)
    finally:
        if own and kernel is not None:
            kernel.shutdown()
        atomic.clean_temps()


def jobs_for(source: dict, requests: list[tuple[str, pd.Timestamp]],
             lang: str = i18n.SOURCE) -> list[Job]:
    """Jobs with the fingerprints of their inputs (archive.fingerprint)."""
    digests = archive.data_digests([day for _t, day in requests])
    return [Job(t, day, archive.fingerprint(source, parameters(t, day, lang), digests[day]),
                lang) for t, day in requests]


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


@dataclass
class BatchResult:
    """What a batch made, each by its file stem (`META-2024-04-25`): briefings rendered,
    up to date (their fingerprint matched, so left as they were), failed (with the error),
    companies or releases not rendered and why, the index page, the seconds each briefing
    took and the headline figures of each page."""
    index: Path
    rendered: dict[str, Path] = field(default_factory=dict)
    up_to_date: dict[str, Path] = field(default_factory=dict)
    damaged: dict[str, str] = field(default_factory=dict)  # pages found damaged: why
    failed: dict[str, str] = field(default_factory=dict)
    no_data: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)


def render_all(tickers: list[str] | None = None, as_of=None, out_dir: Path | str = "reports",
               jobs: int | None = None, progress: bool = True,
               notebook: Path | str | None = None, force: bool = False,
               scheduler: str | None = None, lang: str = i18n.SOURCE) -> BatchResult:
    """Render several briefings (default: every company) as of one date with one progress
    bar, then write `index.html` linking them (in another language `lang`, the briefings
    are `<TICKER>-<DATE>.<lang>.html` and the index `index.<lang>.html`; each index links a
    briefing in every language found beside it).

    Everything is checked before a kernel starts: a bad ticker, date, output folder,
    notebook or number of kernels stops the batch before anything is written. Every
    briefing is as of one date (default: the data's date); a company with nothing public by
    then is listed on the index as such. See `run_batch` for how they are rendered.
    """
    names = tickers or list(data.load_companies()["ticker"])
    day = metrics.check_date(as_of)  # one date for every briefing of the batch
    with i18n.language(lang):  # the index's words; each page is in its notebook's language
        lang = i18n.current()
        requests, no_data = [], {}
        for name in names:
            try:
                requests.append(check_request(name, day))
            except NoDataYet:  # listed on the index; the others render
                ticker = check_request(name)[0]
                no_data[stem_of(ticker, day, lang)] = _(
                    "no {ticker} figures public by {date} (the first are from {first})").format(
                    ticker=ticker, date=i18n.date(day),
                    first=i18n.date(metrics.data_range(ticker)[0]))
        result = run_batch(requests, out_dir, jobs, progress, notebook, force, scheduler, lang)
        result.no_data = no_data
        order = {n.strip().upper(): i for i, n in enumerate(names)}
        write_index(result, sorted([*(stem_of(t, d, lang) for t, d in requests), *no_data],
                                   key=lambda stem: order.get(split_stem(stem)[0])))
    return result


def render_archive(tickers: list[str] | None = None, since=None,
                   out_dir: Path | str = "reports", jobs: int | None = None,
                   progress: bool = True, notebook: Path | str | None = None,
                   force: bool = False, scheduler: str | None = None,
                   lang: str = i18n.SOURCE) -> BatchResult:
    """One briefing per company per earnings release (from `since` on), each as of the
    first session after the release so that the stock's reaction is in it, and
    `index.html` with a time line per company of how the headline figures moved from one
    release to the next. Pages whose inputs did not change are left as they are."""
    names = [check_request(t)[0] for t in tickers] if tickers else \
        list(data.load_companies()["ticker"])
    with i18n.language(lang):  # the index's words; each page is in its notebook's language
        lang = i18n.current()
        dates, waiting = archive.release_dates(names, since)
        requests = []
        no_data = {stem_of(*split_stem(stem), lang): why for stem, why in waiting.items()}
        for ticker, day, release in dates:
            stem = stem_of(ticker, day, lang)
            try:
                requests.append(check_request(ticker, day))
            except NoDataYet:
                no_data[stem] = _("released {release}; no {ticker} figures in the data were "
                                  "public by {date}").format(release=i18n.date(release),
                                                             ticker=ticker, date=i18n.date(day))
            except RequestError as err:  # a session later than today cannot be rendered yet
                no_data[stem] = _("released {release}; {reason}").format(
                    release=i18n.date(release), reason=err)
        result = run_batch(requests, out_dir, jobs, progress, notebook, force, scheduler, lang)
        result.no_data = no_data
        write_index(result, [*(stem_of(t, d, lang) for t, d in requests), *no_data],
                    timeline=True)
    return result


_STEM = re.compile(r"(?P<ticker>.+)-(?P<day>\d{4}-\d{2}-\d{2})(?:\.(?P<lang>[a-z_]+))?")


def split_stem(stem: str) -> tuple[str, str]:
    """("META", "2024-04-25") from "META-2024-04-25" or "META-2024-04-25.de" (a ticker may
    hold a hyphen)."""
    found = _STEM.fullmatch(stem)
    return found["ticker"], found["day"]


def write_index(result: BatchResult, stems: list[str], timeline: bool = False) -> None:
    """Write the batch's index page (index.html, or index.<lang>.html in the current
    language) listing every briefing in the folder: first this batch's `stems` (its pages,
    failures and what had no data), then the pages earlier batches left there, from the
    figures each page carries (a damaged one is listed as such). Pages all as of one date
    make a table as of that date; otherwise (or for the archive, `timeline`) a time line per
    company, each row under the release whose session it is, else the company's latest
    release by its date."""
    from kit import sections
    from kit.html import document

    out, lang = result.index.parent, i18n.current()
    entries = {stem: _entry(result, stem) for stem in stems}
    for path in sorted(out.glob("*-*.html")):
        found = _STEM.fullmatch(path.name[:-len(".html")])
        if not found or found.group(0) in entries or (found["lang"] or i18n.SOURCE) != lang:
            continue  # not a briefing, this batch's, or another language's
        stem, figures = found.group(0), archive.read_stamp(path)[1]
        if not figures:
            continue  # an HTML file the kit did not write
        why = archive.damaged(path)
        entries[stem] = _page_entry(path, stem, figures) if not why else dict(
            ticker=found["ticker"], stem=stem, company_name=figures.get("company_name"),
            damaged=_("cut short or edited since the kit wrote it; the next render that "
                      "includes it makes it again"))
    days = {split_stem(stem)[1] for stem in entries}
    latest = max(days)
    overview, scripts = _overview([e for stem, e in entries.items()
                                   if split_stem(stem)[1] == latest], pd.Timestamp(latest))
    if len(days) == 1 and not timeline:
        title = _("AI-infrastructure briefings")
        body = sections.index_html(list(entries.values()), title, pd.Timestamp(latest),
                                   overview)
        return atomic.write_text(result.index, document(title, body, scripts))
    tickers = list(dict.fromkeys(split_stem(stem)[0] for stem in entries))  # batch's first
    sessions = {stem_of(t, day, lang): release
                for t, day, release in archive.release_dates(tickers)[0]}
    rel = data.load_earnings_releases()
    timelines: dict[str, list] = {t: [] for t in tickers}
    for stem in sorted(entries):  # by date within each company
        ticker, day = split_stem(stem)
        release = sessions.get(stem)
        if release is None:  # not a release's session: the latest release by its date
            before = rel.loc[(rel["ticker"] == ticker) & (rel["release_date"] <= day),
                             "release_date"]
            release = before.max() if not before.empty else None
        timelines[ticker].append({**entries[stem], "release_date": release})
    every_release = all(s in sessions for s, e in entries.items() if "file" in e)
    title = _("AI-infrastructure briefings at every earnings release") if every_release \
        else _("AI-infrastructure briefings")
    atomic.write_text(result.index, document(title, sections.archive_html(
        timelines, title, every_release, overview), scripts))


def _overview(entries: list[dict], as_of: pd.Timestamp) -> tuple[str, str]:
    """The index's sector overview as of `as_of` (sections.overview_html) and the scripts
    its page needs: the chart's and the table's sorting."""
    from kit import charts, sections
    from kit.html import SORT, chart_html, chart_scripts

    peers = metrics.peers(as_of)
    totals = charts.overview_totals(peers)
    chart = charts.overview_chart(peers, totals)
    html = "" if chart is None else chart_html(charts.page_spec(chart.to_dict()), 1)
    heading = _("The sector as of {date}").format(date=i18n.date(as_of))
    body = f"<h2>{sections.escape(heading)}</h2>" + sections.overview_html(html, totals, entries)
    return body, (chart_scripts() if chart is not None else "") + f"<script>{SORT}</script>"


def _entry(result: BatchResult, stem: str) -> dict:
    """An index row: a briefing's figures and file, or why there is none."""
    ticker, day = split_stem(stem)
    if stem in result.no_data:
        return dict(ticker=ticker, stem=stem, no_data=result.no_data[stem])
    if stem in result.failed:
        return dict(ticker=ticker, stem=stem, error=result.failed[stem])
    path = result.rendered.get(stem) or result.up_to_date[stem]
    return _page_entry(path, stem, result.summaries.get(stem) or metrics.summary(ticker, day))


def _page_entry(path: Path, stem: str, figures: dict) -> dict:
    """An index row for the page at `path`: its figures, file and the same briefing in the
    other languages found beside it."""
    ticker, day = split_stem(stem)
    others = [(lang, f"{stem_of(ticker, day, lang)}.html")
              for lang in i18n.languages() if lang != i18n.current()]
    return {**figures, "stem": stem, "file": path.name,
            "others": [(lang, name) for lang, name in others if (path.parent / name).is_file()]}


def run_batch(requests: list[tuple[str, pd.Timestamp]], out_dir: Path | str = "reports",
              jobs: int | None = None, progress: bool = True,
              notebook: Path | str | None = None, force: bool = False,
              scheduler: str | None = None, lang: str = i18n.SOURCE) -> BatchResult:
    """Render checked (ticker, date) requests that are not up to date, with one progress bar.

    Each page's fingerprint (archive.fingerprint) is compared with the one in the existing
    page's head: equal means up to date, skipped unless `force`. The rest run on `jobs` warm
    kernels here (kernels.check_jobs; never more than briefings), each serving several in
    turn, or with `scheduler` on a Dask cluster (kit.cluster); either way the pages are
    written here, atomically. A failing briefing does not stop the others: it is listed
    with its failing cell's error. An interruption (Ctrl-C, SIGTERM) shuts the kernels down
    and removes the temporary files before it propagates.
    """
    jobs = check_jobs(jobs)
    source, name = check_notebook(notebook)
    out = atomic.check_output_folder(Path(out_dir))
    atomic.clean_leftovers(out)  # of runs killed before they could clean up
    result = BatchResult(index=out / index_name(lang))
    todo = []
    for job in jobs_for(source, requests, lang):
        target = out / f"{job.stem}.html"
        found, figures = archive.read_stamp(target) if not force else (None, None)
        why = damaged(target) if not force and target.exists() else None
        if why:
            result.damaged[job.stem] = why  # rendered again, whatever its fingerprint
        if found == job.fingerprint and not why:
            result.up_to_date[job.stem] = target
            if figures:
                result.summaries[job.stem] = figures
        else:
            todo.append(job)
    if not todo:
        return result
    from tqdm.auto import tqdm

    with tqdm(total=len(todo), desc="briefings", unit="briefing", disable=not progress) as bar:
        if scheduler:
            from kit import cluster  # Dask is imported only here

            outcomes = cluster.run(scheduler, todo, source, name)
        else:
            outcomes = _local(todo, source, name, out, min(jobs, len(todo)))
        try:
            for outcome in outcomes:
                stem = outcome.job.stem
                try:
                    result.rendered[stem] = write(outcome, out)
                    result.seconds[stem] = outcome.seconds
                    if outcome.summary:
                        result.summaries[stem] = outcome.summary
                except RenderError as err:
                    result.failed[stem] = str(err)
                bar.set_postfix_str(stem)
                bar.update()
        finally:
            outcomes.close()  # its kernels or cluster client go now, also when interrupted
    return result


def _local(todo: list[Job], source, name: str, out: Path, jobs: int):
    """Outcomes of `todo` rendered on `jobs` warm kernels of this machine, as they finish."""
    queued: queue.Queue = queue.Queue()
    for job in todo:
        queued.put(job)
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
                job = queued.get_nowait()
            except queue.Empty:
                return
            try:
                done.put(execute(kernel, source, name, job, out))
            except Exception as err:  # reported with the others; the batch goes on
                done.put(Outcome(job, None, "", f"{type(err).__name__}: {err}"))

    kernels: list[WarmKernel] = []
    workers: list[threading.Thread] = []
    try:
        for _ in range(jobs):
            kernels.append(WarmKernel())
        workers = [threading.Thread(target=serve, args=(k,), daemon=True) for k in kernels]
        for worker in workers:
            worker.start()
        for day in {job.as_of for job in todo[:jobs]}:  # while the kernels start: their
            metrics.peers(day)  # first briefings read the peers from the cache
        for _ in todo:
            while True:
                try:
                    outcome = done.get(timeout=1)
                    break
                except queue.Empty:
                    if any(w.is_alive() for w in workers) or not done.empty():
                        continue
                    left = queued.get_nowait()  # no kernel is left to take it
                    outcome = Outcome(left, None, "", "KernelError: no kernel could render "
                                      "it: " + "; ".join(sorted(set(unready))))
                    break
            yield outcome
    finally:
        stop.set()
        # closed early (GeneratorExit) only when the batch was interrupted
        interrupted = isinstance(sys.exc_info()[1], (KeyboardInterrupt, SystemExit,
                                                     GeneratorExit))
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
