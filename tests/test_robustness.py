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
    (["render", "--all", "META"], "give one or more tickers, or --all"),
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
    out = tmp_path / "out"
    proc = _kit("render", "META", "--out", str(out), "--no-progress", cwd=tmp_path,
                wait=False)
    deadline = time.time() + 30
    while not (out.exists() and any(out.iterdir())) and time.time() < deadline:
        time.sleep(0.05)  # until the executed notebook's temporary file exists
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], left  # no temporary file and no partial output


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
    assert html.rstrip().endswith("</html>") and html.count('class="chart"') == 6


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
