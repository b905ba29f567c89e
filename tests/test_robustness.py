"""Bad input, interruptions, broken files and hostile text: each case must fail clearly and
safely. Every test here is marked `robustness`; the run's summary counts them (conftest)."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from kit import data, sources
from kit.errors import DataError
from kit.metrics import load_briefing

pytestmark = pytest.mark.robustness


def _kit(*args, cwd, env=None, wait=True):
    cmd = [sys.executable, "-m", "kit.cli", *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


# --- command line -------------------------------------------------------------------------

BAD_REQUESTS = [
    (["render", "NOPE"], "unknown ticker 'NOPE'; valid tickers: AAPL, AMZN"),
    (["render", "META", "--as-of", "2010-01-01"], "before the first META data"),
    (["render", "META", "--as-of", "2099-01-01"], "is in the future"),
    (["render", "META", "--as-of", "25/04/2024"], "as_of '25/04/2024' is not a date"),
    (["render", "META", "--as-of", "2024-02-30"], "as_of '2024-02-30' is not a date"),
    (["render", "META", "--colour", "red"], "unrecognized arguments: --colour red"),
    (["render", "META; import os"], "unknown ticker 'META; import os'"),
    (["render", "--all", "META"], "give one or more tickers, --all or --every-release"),
    (["data", "refresh", "ZZZZ", "--user-agent", "A a@example.com"],
     "unknown ticker(s) ZZZZ; valid: META"),
]


@pytest.mark.parametrize("args,message", BAD_REQUESTS, ids=lambda v: " ".join(v)[:40])
def test_bad_input_gets_one_message_exit_2_and_no_file(tmp_path, args, message):
    out = tmp_path / "out"
    res = _kit(*args, "--out", str(out), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_lower_case_padded_ticker_is_the_company_it_names(tmp_path):
    res = _kit("render", "  meta ", "--as-of", "2024-04-25", "--out", "out",
               "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "META-2024-04-25.html").is_file()


# --- interrupted and concurrent renders ---------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_an_interrupted_render_leaves_no_half_written_file(tmp_path, sig):
    proc, err, out, _ = _interrupt(tmp_path, sig, "render", "META")
    assert proc.returncode == 128 + sig
    if sig == signal.SIGINT:  # Ctrl-C: one line, not a traceback
        assert err.strip().splitlines() == [
            "kit: interrupted; nothing half-written was left behind"], err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == []  # no temporary file, no partial one
    assert _wait_for(lambda: not _kernels_of(proc.pid), 15), "the kernel outlived the render"


@pytest.mark.slow
def test_two_renders_of_the_same_company_at_once_both_finish_complete(tmp_path):
    procs = [_kit("render", "NVDA", "--as-of", "2025-06-30", "--out", "out", "--no-progress",
                  cwd=tmp_path, wait=False) for _ in range(2)]
    for proc in procs:
        proc.wait(timeout=120)
        assert proc.returncode == 0, proc.stderr.read()
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["NVDA-2025-06-30.html", "NVDA-2025-06-30.ipynb"]
    html = (tmp_path / "out" / "NVDA-2025-06-30.html").read_text()
    # every chart of the briefing: seven, less the outlook chart (Nvidia gives no outlook;
    # that section is one line)
    charts = 7 - load_briefing("NVDA", "2025-06-30").guidance.empty
    assert html.rstrip().endswith("</html>") and html.count('class="chart"') == charts


# --- broken data files ----------------------------------------------------------------------

def _broken_financials(tmp_path, edit):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    path = folder / "financials.csv"
    frame = edit(pd.read_csv(path, dtype=str, keep_default_na=False))
    frame.to_csv(path, index=False)
    return folder


def _drop_value(f):
    return f.drop(columns=["value_usd"])


def _bad_number(f):
    f.loc[3, "value_usd"] = "12,5e9"
    return f


def _duplicate(f):
    f.loc[4] = f.loc[3]
    return f


def _negative_capex(f):
    f.loc[f.index[f["metric"] == "capex_incl_finance_leases"][0], "value_usd"] = "-1.0"
    return f


def _end_before_start(f):
    f.loc[3, "period_start_date"] = "2030-01-01"
    return f


BROKEN = {
    "missing column": (_drop_value, r"financials.csv: missing column\(s\) value_usd"),
    "unparsable number": (_bad_number, r"financials.csv, line 5, column value_usd: '12,5e9'"),
    "duplicated key": (_duplicate, r"financials.csv, lines 5 and 6: duplicate key"),
    "negative capex": (_negative_capex,
                       r"column value_usd: '-1.0' breaks the rule: capex is a cash outflow"),
    "end before start": (_end_before_start,
                         r"line 5, column period_end_date: .* breaks the rule: a period ends"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_data_file_is_rejected_naming_file_row_and_column(tmp_path, case):
    edit, message = BROKEN[case]
    folder = _broken_financials(tmp_path, edit)
    with pytest.raises(DataError, match=message):
        data.load_table("financials", folder)


def test_a_broken_data_file_stops_the_cli_with_exit_2(tmp_path):
    folder = _broken_financials(tmp_path, BROKEN["negative capex"][0])
    res = _kit("render", "META", "--out", str(tmp_path / "out"), cwd=tmp_path,
               env={**os.environ, "KIT_DATA_DIR": str(folder)})
    assert res.returncode == 2 and "breaks the rule" in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where,text,message", [
    ("prices/META.csv", "2024-04-25,abc", r"prices/META.csv, line \d+, column Adj Close: 'abc'"),
    ("statements.json", "{ not json", r"statements.json, line 1, column 3: not valid JSON"),
])
def test_a_broken_raw_source_is_named_and_the_data_kept(tmp_path, sources_dir, where, text,
                                                        message):
    src = tmp_path / "sources"
    shutil.copytree(sources_dir, src)
    (src / where).chmod(0o644)
    if where.endswith(".csv"):
        with (src / where).open("a") as f:
            f.write(text + "\n")
    else:
        (src / where).write_text(text)
    out = tmp_path / "data"
    shutil.copytree(data.data_dir(), out)
    before = (out / "financials.csv").read_bytes()
    with pytest.raises(DataError, match=message):
        sources.build(src, out, log=lambda m: None)
    assert (out / "financials.csv").read_bytes() == before


# --- hostile text -------------------------------------------------------------------------

HOSTILE_NAME = 'Meta <script>window.__pwned = "name"</script> "Platforms" <b>bold</b>'
HOSTILE_TEXT = ('<img src=x onerror="window.__pwned = \'img\'"> '
                '<script>window.__pwned = "statement"</script> & "quotes" \'too\'')


@pytest.mark.slow
def test_hostile_text_from_data_is_shown_as_text_and_never_runs(tmp_path):
    from tests.test_browser import offline_page

    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    companies = pd.read_csv(folder / "companies.csv", dtype=str, keep_default_na=False)
    companies.loc[companies["ticker"] == "META", "company_name"] = HOSTILE_NAME
    companies.to_csv(folder / "companies.csv", index=False)
    st = pd.read_csv(folder / "statements.csv", dtype=str, keep_default_na=False)
    row = st.index[(st["ticker"] == "META") & (st["event_date"] == "2024-04-24")][0]
    st.loc[row, "text"] = HOSTILE_TEXT
    st.loc[row, "speaker"] = "<i>CFO</i>"
    st.to_csv(folder / "statements.csv", index=False)
    out = tmp_path / "out"
    res = _kit("render", "META", "NVDA", "--as-of", "2024-04-25", "--out", str(out),
               "--no-progress", cwd=tmp_path, env={**os.environ, "KIT_DATA_DIR": str(folder)})
    assert res.returncode == 0, res.stderr
    pages = [out / "index.html", out / "META-2024-04-25.html"]
    with offline_page() as (page, requests, errors):
        for path in pages:
            page.goto(path.resolve().as_uri())
            page.wait_for_timeout(500)
            assert page.evaluate("window.__pwned") is None, path.name
            assert page.locator("script", has_text="__pwned").count() == 0, path.name
            body = page.inner_text("body")
            assert '<script>window.__pwned = "name"</script> "Platforms" <b>bold</b>' in body
        assert HOSTILE_TEXT in body and "<i>CFO</i>" in body
        assert page.locator("img[src=x]").count() == 0
    assert requests == [] and errors == []


# --- hardening (issue 12): nothing the user owns is touched ----------------------------------

def test_a_data_build_never_replaces_a_folder_the_kit_did_not_write(tmp_path, sources_dir):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("three years of work")
    res = _kit("data", "build", "--sources", str(sources_dir), "--out", str(mine),
               cwd=tmp_path)
    assert res.returncode == 2 and "is not a kit data folder" in res.stderr
    assert "Traceback" not in res.stderr
    assert (mine / "thesis.txt").read_text() == "three years of work"
    a_file = tmp_path / "notes.csv"
    a_file.write_text("keep")
    res = _kit("data", "build", "--sources", str(sources_dir), "--out", str(a_file),
               cwd=tmp_path)
    assert res.returncode == 2 and "is not a folder" in res.stderr
    assert a_file.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "notes.csv"]  # no .old


def test_a_file_dropped_into_a_kit_data_folder_stops_the_next_build_and_stays(tmp_path,
                                                                             sources_dir):
    from kit.atomic import MARKER
    out = tmp_path / "data"
    sources.build(sources_dir, out, log=lambda m: None)  # a new folder: made, and marked
    assert (out / MARKER).is_file() and (out / "financials.csv").is_file()
    assert "file: financials.csv" in (out / MARKER).read_text()  # what the kit wrote there
    sources.build(sources_dir, out, log=lambda m: None)  # its own folder: replaced whole
    (out / "notes.txt").write_text("mine")
    (out / "charts").mkdir()
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    res = _kit("data", "build", "--out", str(out), "--sources", str(sources_dir), cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "holds what the kit did not write there (charts/, notes.txt)" in res.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temporary folder left


def test_a_hand_made_marker_does_not_make_a_folder_the_kits(tmp_path, sources_dir):
    from kit.atomic import MARKER
    out = tmp_path / "mine"
    out.mkdir()
    (out / MARKER).write_text("")  # empty, made by hand
    (out / "notes.txt").write_text("keep")
    (out / "sub").mkdir()
    res = _kit("data", "build", "--out", str(out), "--sources", str(sources_dir), cwd=tmp_path)
    assert res.returncode == 2 and "is not a kit data folder" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "notes.txt", "sub"]
    assert (out / "notes.txt").read_text() == "keep"


def test_the_swap_of_a_data_folder_is_one_exchange_never_a_missing_folder(tmp_path,
                                                                          monkeypatch):
    from kit import atomic
    out, new = tmp_path / "data", tmp_path / ".data-new"
    for folder, text in ((out, "old"), (new, "new")):
        folder.mkdir()
        (folder / "financials.csv").write_text(text)
        (folder / atomic.MARKER).write_text("")

    def no_rename_away(src, dst):  # moving data/ aside would leave no data/ for a moment
        raise AssertionError(f"os.replace({src}, {dst})")

    monkeypatch.setattr(atomic.os, "replace", no_rename_away)
    atomic.replace_folder(new, out)
    assert (out / "financials.csv").read_text() == "new" and not new.exists()


def test_temporary_folders_of_killed_builds_are_removed_and_no_one_elses(tmp_path,
                                                                         sources_dir):
    from kit.atomic import MARKER
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # a finished pid
    killed = tmp_path / f".data-{gone}-x1"
    foreign = tmp_path / f".data-{gone}-notours"
    running = tmp_path / f".data-{os.getpid()}-busy"
    for folder in (killed, foreign, running):
        folder.mkdir()
    for folder in (killed, running):
        (folder / MARKER).write_text("")
    sources.build(sources_dir, tmp_path / "data", log=lambda m: None)
    assert not killed.exists()
    assert foreign.exists() and running.exists()


# --- bounded work, checked before any kernel starts -----------------------------------------

@pytest.mark.parametrize("jobs", ["0", "-1", "1000"])
def test_jobs_outside_the_valid_range_is_refused(tmp_path, jobs):
    res = _kit("render", "--all", "--jobs", jobs, "--out", str(tmp_path / "out"),
               cwd=tmp_path)
    assert res.returncode == 2
    assert f"--jobs {jobs}: use 1 to " in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_a_batch_never_starts_more_kernels_than_briefings(monkeypatch, tmp_path):
    from kit import kernels, render
    started = []
    monkeypatch.setattr(render, "WarmKernel", lambda: started.append(1) or _NoKernel())
    result = render.render_all(["META", "NVDA"], "2024-04-25", tmp_path / "out", jobs=3,
                               progress=False)
    assert len(started) == 2 and kernels.check_jobs(None) >= 2
    assert result.failed == {"META-2024-04-25": "RuntimeError: no kernel here",
                             "NVDA-2024-04-25": "RuntimeError: no kernel here"}


class _NoKernel:
    def ready(self):
        return None

    def run(self, *args):
        raise RuntimeError("no kernel here")

    def shutdown(self):
        pass


class _Unready(_NoKernel):
    def ready(self):
        return RuntimeError("the kernel died while it was being prepared")


class _Blank(_NoKernel):
    def run(self, *args):
        import nbformat
        return nbformat.v4.new_notebook()


def test_a_kernel_that_never_gets_ready_leaves_its_briefings_to_the_others(monkeypatch,
                                                                          tmp_path):
    from kit import render
    kernels = iter([_Unready(), _Blank()])
    monkeypatch.setattr(render, "WarmKernel", lambda: next(kernels))
    result = render.render_all(["META", "NVDA"], "2024-04-25", tmp_path / "out", jobs=2,
                               progress=False)
    assert sorted(result.rendered) == ["META-2024-04-25", "NVDA-2024-04-25"]
    assert result.failed == {}
    kernels = iter([_Unready(), _Unready()])
    result = render.render_all(["META", "NVDA"], "2024-04-25", tmp_path / "out2", jobs=2,
                               progress=False)
    assert result.failed == {t: "KernelError: no kernel could render it: the kernel died "
                                "while it was being prepared"
                             for t in ("META-2024-04-25", "NVDA-2024-04-25")}


def _unwritable(tmp_path):
    """A folder that cannot be written: read-only for a user; under /sys for root, who may
    write anywhere else."""
    if os.geteuid() == 0:
        return "/sys/kit-out", "cannot write there"
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    return str(folder / "out"), "cannot write there"


def _bad_outputs(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return [("/dev/null", "is not a folder"), (str(a_file), "is not a folder"),
            (str(a_file / "sub"), "is a file, so the folder cannot be made"),
            _unwritable(tmp_path)]


@pytest.mark.parametrize("case", range(4), ids=["dev-null", "a file", "under a file",
                                                "unwritable"])
def test_a_bad_output_folder_is_refused_before_anything_runs(tmp_path, case):
    out, message = _bad_outputs(tmp_path)[case]
    for args in (["render", "META"], ["render", "META", "NVDA"]):
        res = _kit(*args, "--out", out, cwd=tmp_path)
        assert res.returncode == 2, res.stderr
        assert f"--out {out}: " in res.stderr and message in res.stderr
        assert "Traceback" not in res.stderr


def test_a_notebook_that_is_not_a_notebook_is_refused(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ this is not json")
    res = _kit("render", "META", "--notebook", str(bad), "--out", str(tmp_path / "out"),
               cwd=tmp_path)
    assert res.returncode == 2 and "is not a valid notebook" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("table,edit,message", [
    ("prices", lambda text: "", "prices.csv: the file is empty"),
    ("financials", lambda text: text.replace(",6715000000.0,", ",inf,", 1),
     "'inf' is not a finite number"),
    ("financials", lambda text: text.replace(",6715000000.0,", ",1e400,", 1),
     "'1e400' is not a finite number"),
])
def test_an_empty_or_non_finite_data_file_is_one_clear_error(tmp_path, table, edit, message):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder)
    path = folder / f"{table}.csv"
    path.write_text(edit(path.read_text()))
    res = _kit("render", "META", "--out", str(tmp_path / "out"), cwd=tmp_path,
               env={**os.environ, "KIT_DATA_DIR": str(folder)})
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "out").exists()


def test_a_full_disk_is_named_and_leaves_no_partial_file(tmp_path, monkeypatch, sources_dir):
    import errno

    from kit import atomic, render
    from kit.errors import OutputError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.Path, "write_text", full)
    with pytest.raises(OutputError, match=r"cannot write .*NVDA-2025-06-30.html: No space "
                                          r"left on device; free some space"):
        render.render_briefing("NVDA", "2025-06-30", tmp_path / "out", progress=False,
                               notebook=_tiny(tmp_path))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
    monkeypatch.undo()
    out = tmp_path / "data"
    sources.build(sources_dir, out, log=lambda m: None)
    before = (out / "financials.csv").read_bytes()
    monkeypatch.setattr(atomic, "replace_folder", full)
    with pytest.raises(OutputError, match="No space left on device; free some space"):
        sources.build(sources_dir, out, log=lambda m: None)
    assert (out / "financials.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "tiny.ipynb"]


def _tiny(tmp_path):
    from tests.conftest import small_notebook
    return small_notebook(tmp_path / "tiny.ipynb", "print(ticker)")


# --- interruptions: one line, nothing left behind --------------------------------------------

def _kernels_of(pid: int) -> list[int]:
    """Processes whose parent, by jupyter_client's JPY_PARENT_PID, is `pid`."""
    found = []
    for proc in os.listdir("/proc"):
        if proc.isdigit():
            try:
                env = open(f"/proc/{proc}/environ", "rb").read().split(b"\0")
            except OSError:
                continue
            if f"JPY_PARENT_PID={pid}".encode() in env:
                found.append(int(proc))
    return found


def _interrupt(tmp_path, sig, *args):
    """Start `kit <args>`, send `sig` once an executed notebook's temporary file exists;
    (process, stderr, output folder, the kernels it had running)."""
    out = tmp_path / "out"
    proc = _kit(*args, "--out", str(out), "--no-progress", cwd=tmp_path, wait=False)
    assert _wait_for(lambda: out.exists() and any(p.name.startswith(".tmp-")
                                                  for p in out.iterdir()))
    kernels = _kernels_of(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=90)
    return proc, err, out, kernels


def _wait_for(check, seconds=60):
    deadline = time.time() + seconds
    while not check() and time.time() < deadline:
        time.sleep(0.05)
    return check()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_an_interrupted_batch_leaves_no_file_and_no_kernel(tmp_path, sig):
    proc, err, out, kernels = _interrupt(tmp_path, sig, "render", "--all")
    assert kernels  # the batch's kernels were running when it was stopped
    assert proc.returncode != 0 and "Traceback" not in err
    assert _wait_for(lambda: not _kernels_of(proc.pid), 15), "a kernel outlived the batch"
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp-")] == []


@pytest.mark.parametrize("since, says", [
    ("garbage", "--since 'garbage' is not a date"), ("", "--since '' is not a date"),
    ("2099-01-01", "--since 2099-01-01 is after the data's date"),
])
def test_a_since_that_is_no_date_or_after_the_data_is_named_as_since(tmp_path, since, says):
    res = _kit("render", "--every-release", "META", "--since", since, "--out",
               str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 2 and says in res.stderr and "as_of" not in res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
