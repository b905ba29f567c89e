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
import sys
import threading
from pathlib import Path

from jupyter_client.manager import KernelManager

from kit.errors import KernelError

REPO = Path(__file__).resolve().parent.parent  # kernels run with the repository as cwd
# jsonschema (under altair and nbformat) imports rfc3987_syntax when it is installed, only to
# offer an optional "iri" format check, and building its grammar takes about a second of
# every start; nothing the kit runs checks that format. Marking it absent skips the import.
SKIPPED_IMPORTS = ("rfc3987_syntax",)
# What every briefing imports first, and the tables it reads: done before it is asked for.
WARMUP = (f"import sys\nfor name in {SKIPPED_IMPORTS!r}:\n    sys.modules.setdefault(name, None)\n"
          "import kit.charts, kit.data, kit.metrics, kit.sections\n"
          "kit.charts.use_briefing_renderer()\nkit.data.load_all()")
# Between notebooks: empty namespace, a new history session, the counter back at 1.
RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
         "get_ipython().history_manager.reset(new_session=True)\n"
         "get_ipython().execution_count = 1")


class WarmKernel:
    def __init__(self, cwd: Path | str = REPO, warmup: str = WARMUP,
                 kernel_name: str = "python3"):
        self.kernel_name = kernel_name
        self.km = KernelManager(kernel_name=kernel_name)
        # KIT_EXPORT: charts carry only their spec (no SVG preview), the export needs no more.
        self.km.start_kernel(cwd=str(cwd), env={**os.environ, "KIT_EXPORT": "1"})
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
            while True:
                reply = kc.get_shell_msg(timeout=300)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            c = reply["content"]
            raise KernelError(f"kernel preparation failed: {c.get('ename')}: {c.get('evalue')}")

    def run(self, notebook, output_path, progress: bool, parameters: dict):
        """Execute `notebook` (a NotebookNode) with papermill on this kernel and return it;
        papermill writes it to `output_path` (also when a cell fails)."""
        self._ready.join()
        if self._error is not None:
            raise KernelError(f"the kernel did not get ready: {self._error}") from self._error
        import papermill  # here, not at the top: the kernel starts before papermill loads

        if self.used:
            self._run(RESET)
        self.used = True
        return papermill.execute_notebook(
            notebook, str(output_path), parameters=parameters, progress_bar=progress,
            kernel_name=self.kernel_name, km=self.km, request_save_on_cell_execute=False)

    def shutdown(self) -> None:
        self._ready.join(timeout=5)
        self.km.shutdown_kernel(now=True)


def default_jobs(jobs: int | None, tickers: list | None) -> int:
    """Kernels for a batch: `jobs`, else one more than the CPU cores (a kernel waiting on
    papermill's messages or on the export leaves its core to another; bench/render.py
    shows the gain), never more kernels than briefings."""
    n = max(1, jobs or (os.cpu_count() or 1) + 1)
    return min(n, len(tickers)) if tickers else n


def skip_slow_imports() -> None:
    """In this process too (see SKIPPED_IMPORTS)."""
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)
