"""One briefing to render (a Job), rendering it on a kernel (execute) and putting what it gave
in place (write): the same here and on a Dask worker. Below both kit.render, which plans and
runs batches, and kit.cluster, which runs them on Dask."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kit import archive, atomic, i18n
from kit.errors import RenderError
from kit.kernels import WarmKernel


@dataclass(frozen=True)
class Job:
    """One briefing to render: its parameters and the fingerprint of its inputs."""
    ticker: str
    as_of: pd.Timestamp
    fingerprint: str
    lang: str = i18n.SOURCE

    @property
    def stem(self) -> str:
        return stem_of(self.ticker, self.as_of, self.lang)


def stem_of(ticker: str, as_of, lang: str = i18n.SOURCE) -> str:
    """"META-2024-04-25" in English, "META-2024-04-25.de" in another language."""
    return f"{ticker}-{pd.Timestamp(as_of):%Y-%m-%d}" + ("" if lang == i18n.SOURCE
                                                         else f".{lang}")


@dataclass
class Outcome:
    """What rendering a Job gave: the page (None when a cell failed, with `error`), the
    executed notebook as text, its headline figures and the seconds it took."""
    job: Job
    html: str | None
    notebook: str
    error: str | None = None
    summary: dict | None = None
    seconds: float = 0.0


def parameters(ticker: str, as_of: pd.Timestamp, lang: str = i18n.SOURCE) -> dict:
    return {"ticker": ticker, "as_of": f"{as_of:%Y-%m-%d}", "lang": lang}


def execute(kernel: WarmKernel, source, name: str, job: Job, folder: Path,
            progress: bool = False) -> Outcome:
    """Run the notebook for `job` on `kernel` and export the page; write nothing that stays.
    The same on a Dask worker (kit.cluster) as here; `write` puts the outcome in place."""
    import papermill

    from kit.html import _summary, notebook_to_html

    start = time.perf_counter()
    nb = copy.deepcopy(source)
    nb.metadata["kit"] = {**nb.metadata.get("kit", {}), "fingerprint": job.fingerprint,
                          "content_sha256": ""}  # sealed by write
    with i18n.language(job.lang):  # the text cells in the briefing's language
        i18n.translate_notebook(nb)
    tmp = atomic.temp_path(folder, ".ipynb")
    try:
        try:
            done = kernel.run(nb, tmp, progress, parameters(job.ticker, job.as_of, job.lang))
        except papermill.PapermillExecutionError as err:
            first = (err.source or "").strip().splitlines()[:1]
            return Outcome(job, None, tmp.read_text(encoding="utf-8"),
                           f"{name}: cell [{err.exec_count}] ({first[0] if first else ''}) "
                           f"failed with {err.ename}: {err.evalue}")
        # titled from its parameters, as nbconvert --to kit does
        return Outcome(job, notebook_to_html(done), tmp.read_text(encoding="utf-8"),
                       summary=_summary(done), seconds=time.perf_counter() - start)
    finally:
        tmp.unlink(missing_ok=True)
        atomic.done(tmp)


def damaged(page: Path) -> str | None:
    """Why a page and the executed notebook kept beside it are not as the kit wrote them."""
    why = archive.damaged(page)
    if why is None and (why := archive.damaged(page.with_suffix(".ipynb"))):
        return f"its executed notebook is {why}" if why == "missing" else \
            f"its executed notebook: {why}"
    return why


def write(outcome: Outcome, out: Path) -> Path:
    """Put an outcome's files in place, each atomically: the page and the executed notebook,
    or, for a failed cell, the notebook as `.failed.ipynb` and a RenderError."""
    stem = outcome.job.stem
    if outcome.html is None:
        if not outcome.notebook:  # it failed before a notebook ran: nothing to keep
            raise RenderError(outcome.error)
        failed = out / f"{stem}.failed.ipynb"
        atomic.write_text(failed, outcome.notebook)
        raise RenderError(f"{outcome.error}. The executed notebook is kept at {failed}")
    target = out / f"{stem}.html"
    atomic.write_text(target, outcome.html)
    atomic.write_text(out / f"{stem}.ipynb", archive.seal_notebook(outcome.notebook))
    (out / f"{stem}.failed.ipynb").unlink(missing_ok=True)
    return target
