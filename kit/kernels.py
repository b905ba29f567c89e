"""Warm kernels for papermill: started before they are needed, imports and data loaded ahead,
reused for several notebooks with the namespace reset in between.

Most of a briefing's time is kernel start-up and imports (altair, pandas), not its own cells.
A `WarmKernel` starts its kernel at once and runs WARMUP while the caller does other work;
`run()` then hands the kernel to papermill (`km=`), so papermill executes the notebook exactly
as it would in a fresh kernel, minus the start. Between notebooks the user namespace is
cleared (`%reset -f`) and the execution counter restarted, so each notebook sees a clean
kernel; modules and the kit's read-only data cache stay loaded.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from jupyter_client.manager import KernelManager

from kit.errors import KernelError, RequestError

# jsonschema (under altair and nbformat) imports rfc3987_syntax when it is installed, only to
# offer an optional "iri" format check, and building its grammar takes about a second of
# every start; nothing the kit runs checks that format. Marking it absent skips the import.
SKIPPED_IMPORTS = ("rfc3987_syntax",)
# What every briefing imports first, and the tables it reads: done before it is asked for.
WARMUP = (f"import sys\nfor name in {SKIPPED_IMPORTS!r}:\n    sys.modules.setdefault(name, None)\n"
          "import kit.charts, kit.data, kit.metrics, kit.sections\n"
          "kit.charts.use_briefing_renderer()\nkit.data.load_all()")
# Between notebooks: empty namespace, a new history session, the counter back at 1.
RESET = "__import__('kit.kernels').kernels.reset_namespace(get_ipython())"
PREPARE_SECONDS = 300  # imports and data of a cold machine take seconds; this is a hang
KERNEL_MEMORY = 300 * 2**20  # what one warm kernel with a briefing takes, with margin
_STARTED: set[WarmKernel] = set()  # kernels of this process not yet shut down


class WarmKernel:
    """A kernel started now and prepared in the background; `run` executes a notebook on it.

    It talks over Unix sockets in a private temporary folder (IPC transport) rather than TCP
    ports on localhost: no two kernels started at once can race for a port, and nothing on
    the network can reach it."""

    def __init__(self, cwd: Path | str | None = None, warmup: str = WARMUP,
                 kernel_name: str = "python3", env: dict | None = None):
        self.kernel_name = kernel_name
        self._sockets = tempfile.mkdtemp(prefix=f"kit-kernel-{os.getpid()}-")
        self.km = KernelManager(kernel_name=kernel_name, transport="ipc",
                                ip=os.path.join(self._sockets, "k"))
        _STARTED.add(self)  # before it starts: an interruption now still shuts it down
        # KIT_EXPORT: charts carry only their spec (no SVG preview), the export needs no more.
        self.km.start_kernel(cwd=str(cwd or Path.cwd()),
                             env={**os.environ, "KIT_EXPORT": "1", **(env or {})})
        self.used = False
        self._error: BaseException | None = None
        self._ready = threading.Thread(target=self._prepare, args=(warmup,), daemon=True)
        self._ready.start()

    def _prepare(self, code: str) -> None:
        try:
            self._run(code)
        except BaseException as err:  # reported by run()
            self._error = err

    def _run(self, code: str) -> None:
        """Run `code` silently, on a shell-only client of this thread's own (the reply comes
        on the shell channel; without iopub there is nothing to flush or wait for)."""
        kc = self.km.client()
        kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = kc.execute(code, silent=True, store_history=False)
            waited = 0.0
            while True:
                try:
                    reply = kc.get_shell_msg(timeout=1)
                except queue.Empty:
                    waited += 1
                    if not self.km.is_alive():
                        raise KernelError("the kernel died while it was being prepared"
                                          ) from None
                    if waited > PREPARE_SECONDS:
                        raise KernelError(f"the kernel did not answer within "
                                          f"{PREPARE_SECONDS} s") from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            c = reply["content"]
            raise KernelError(f"kernel preparation failed: {c.get('ename')}: {c.get('evalue')}")

    def ready(self) -> BaseException | None:
        """Wait until the kernel is prepared; the error that kept it from it, if any."""
        self._ready.join()
        return self._error

    def run(self, notebook, output_path, progress: bool, parameters: dict):
        """Execute `notebook` (a NotebookNode) with papermill on this kernel and return it;
        papermill writes it to `output_path` (also when a cell fails)."""
        if self.ready() is not None:
            raise KernelError(f"the kernel did not get ready: {self._error}") from self._error
        import papermill  # here, not at the top: the kernel starts before papermill loads

        if self.used:
            self._run(RESET)
        self.used = True
        return papermill.execute_notebook(
            notebook, str(output_path), parameters=parameters, progress_bar=progress,
            kernel_name=self.kernel_name, km=self.km, request_save_on_cell_execute=False,
            execution_timeout=PREPARE_SECONDS)  # a cell takes seconds: longer is a hang

    def shutdown(self) -> None:
        _STARTED.discard(self)
        if getattr(self, "_ready", None) is not None:
            self._ready.join(timeout=5)
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a notebook still talking to it raced the shutdown
            process = getattr(self.km.provisioner, "process", None)
            if process is not None and process.poll() is None:
                process.kill()  # the kernel must not outlive us either way
                process.wait(timeout=5)
        shutil.rmtree(self._sockets, ignore_errors=True)


def reset_namespace(ip) -> None:
    """What `%reset -f` does for the next notebook (user names, output cache, history
    session, counter) without its full garbage collection, a tenth of a second a briefing
    with altair and pandas loaded; Python's own collector still runs."""
    for name in [n for n in ip.user_ns if n not in ip.user_ns_hidden]:
        del ip.user_ns[name]
    ip.user_ns["_oh"].clear()
    ip.user_ns.update({"_": "", "__": "", "___": ""})
    ip.history_manager.reset(new_session=True)
    ip.execution_count = 1


def shutdown_all() -> None:
    """Shut down every kernel this process started and has not shut down (on exit)."""
    for kernel in list(_STARTED):
        try:
            kernel.shutdown()
        except Exception:  # noqa: BLE001 - going away anyway: the others must still go
            _STARTED.discard(kernel)


def max_jobs() -> int:
    """The most kernels a batch may run: one more than the CPU cores, or as many as fit in
    half the available memory if that is more."""
    cores = os.cpu_count() or 1
    return max(cores + 1, _available_memory() // 2 // KERNEL_MEMORY)


def check_jobs(jobs: int | None) -> int:
    """Kernels for a batch: `jobs` if it is 1..max_jobs(), else RequestError with the valid
    range; by default one more than the CPU cores (a kernel waiting on papermill's messages
    or on the export leaves its core to another; bench/render.py shows the gain)."""
    cores = os.cpu_count() or 1
    if jobs is None:
        return cores + 1
    limit = max_jobs()
    if not 1 <= jobs <= limit:
        raise RequestError(f"--jobs {jobs}: use 1 to {limit} (default {cores + 1}, one more "
                           f"than the {cores} CPU cores; at most what half the available "
                           "memory holds)")
    return jobs


def _available_memory() -> int:
    """Bytes of memory available now (Linux: MemAvailable), else 0."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def skip_slow_imports() -> None:
    """In this process too (see SKIPPED_IMPORTS)."""
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)
