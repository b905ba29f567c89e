"""Render a batch on a Dask distributed cluster: `kit render … --scheduler ADDRESS`.

Only imported for `--scheduler`: without it the kit never imports Dask. A worker plugin
gives each worker the client's data folder (written to a folder of the worker's own, so no
shared file system is needed) and one warm kernel per worker thread. Each task renders one
briefing (kit.jobs.execute) and returns the page and the executed notebook as text; the
client writes them atomically (kit.jobs.write). A worker that dies mid-task costs only
that task: the scheduler runs it again on another worker (up to Dask's
`distributed.scheduler.allowed-failures`, 3 by default, before it is reported as failed).
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

from distributed import Client, WorkerPlugin, as_completed, get_worker

from kit import atomic, data
from kit.errors import ClusterError
from kit.jobs import Job, Outcome, execute
from kit.kernels import WarmKernel
from kit.schema import TABLES

PLUGIN = "kit-kernels"
CONNECT_SECONDS = 10  # to reach the scheduler
WORKER_SECONDS = 30  # for a first worker to join it


class Kernels(WorkerPlugin):
    """On each worker: the client's data and one warm kernel per worker thread."""

    def __init__(self, files: dict[str, bytes], code: str):
        self.files, self.code = files, code

    def setup(self, worker):
        if data.code_digest() != self.code:
            raise ClusterError(f"worker {worker.address} runs another version of the kit "
                               "than the client (its code differs); install the same kit on "
                               "every worker")
        atomic.clean_leftovers()  # of workers killed before they could clean up
        self.folder = Path(tempfile.mkdtemp(prefix=f"kit-worker-{os.getpid()}-"))
        folder = self.folder / "data"
        folder.mkdir()
        for name, content in self.files.items():
            (folder / name).write_bytes(content)
        self.kernels: queue.Queue = queue.Queue()
        for _ in range(worker.state.nthreads):
            self.kernels.put(WarmKernel(cwd=self.folder, env={"KIT_DATA_DIR": str(folder)}))

    def teardown(self, worker):
        while not self.kernels.empty():
            self.kernels.get_nowait().shutdown()
        shutil.rmtree(self.folder, ignore_errors=True)


def render_task(job: Job, source: dict, name: str) -> Outcome:
    """One briefing on this worker's next free kernel (a task of `run`)."""
    plugin = get_worker().plugins[PLUGIN]
    kernel = plugin.kernels.get()
    try:
        return execute(kernel, source, name, job, plugin.folder)
    finally:
        plugin.kernels.put(kernel)


def connect(address: str) -> Client:
    """A client of the Dask scheduler at `address`, or ClusterError within CONNECT_SECONDS
    (and a few more) whatever answers there: nothing, a closed port, an HTTP server, bytes
    that are not Dask's, or TLS without Dask's TLS settings. The attempt runs in a thread,
    so that a peer that never completes the handshake cannot hold the command."""
    found: dict = {}

    def attempt():
        try:
            found["client"] = Client(address, timeout=CONNECT_SECONDS)
        except BaseException as err:  # noqa: BLE001 - every failure becomes one message
            found["error"] = err

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 5)
    err = found.get("error")
    if "client" in found:
        return found["client"]
    if address.startswith("tls://") and isinstance(err, TypeError):
        why = ("TLS needs Dask's TLS settings: distributed.comm.tls.ca-file, "
               "distributed.comm.tls.client.cert and .key in the Dask configuration (or "
               "DASK_DISTRIBUTED__COMM__TLS__* environment variables)")
    elif err is None:
        why = f"no Dask scheduler answered within {CONNECT_SECONDS + 5} s"
    else:
        why = f"{type(err).__name__}: {err}"[:300]
    raise ClusterError(f"--scheduler {address}: cannot reach a Dask scheduler there ({why}); "
                       f"start one with `dask scheduler` and workers with `dask worker "
                       f"{address}`")


def run(address: str, todo: list[Job], source: dict, name: str):
    """Outcomes of `todo` rendered on the cluster at `address`, as they finish."""
    client = connect(address)
    futures = {}
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise ClusterError(f"--scheduler {address}: no worker joined within "
                               f"{WORKER_SECONDS} s; start one with `dask worker "
                               f"{address}`") from None
        folder = data.data_dir()
        files = {t.filename: (folder / t.filename).read_bytes() for t in TABLES.values()}
        client.register_plugin(Kernels(files, data.code_digest()), name=PLUGIN)
        [shared] = client.scatter([source], broadcast=True)
        futures = {client.submit(render_task, job, shared, name, pure=False,
                                 key=f"kit-{job.stem}-{job.fingerprint[:16]}"): job
                   for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as err:  # noqa: BLE001 - a lost task is reported with the others
                yield Outcome(job, None, "", f"{type(err).__name__}: {err}")
    finally:
        client.cancel(list(futures))
        client.close()
