"""Command line: `kit render TICKER [--as-of DATE]`, `kit data build | check | refresh | add |
remove`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from kit.errors import (
    ClusterError,
    DataError,
    FetchError,
    KernelError,
    OutputError,
    RenderError,
    RequestError,
)


def main(argv: list[str] | None = None) -> int:
    from kit import __version__

    parser = argparse.ArgumentParser(prog="kit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"kit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render briefings as offline HTML")
    r.add_argument("tickers", nargs="*", metavar="TICKER",
                   help="company ticker(s), e.g. META; several make a batch with an index")
    r.add_argument("--all", action="store_true", help="every company, with index.html")
    r.add_argument("--jobs", type=int, help="kernels rendering at once (default: CPU cores + 1)")
    r.add_argument("--as-of", help="YYYY-MM-DD; only what was public by then (default: latest)")
    r.add_argument("--out", default="reports", help="output folder (default: reports)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--notebook", help="notebook to execute instead of notebooks/briefing.ipynb")
    r.add_argument("--every-release", action="store_true",
                   help="the archive: a briefing per company (all, or the tickers given) per "
                        "earnings release, as of the first session after it, with index.html")
    r.add_argument("--since", help="with --every-release: releases from this date (YYYY-MM-DD)")
    r.add_argument("--lang", default="en",
                   help="language of the briefings: en (default) or de; other than English "
                        "writes <TICKER>-<DATE>.<lang>.html and index.<lang>.html")
    r.add_argument("--force", action="store_true",
                   help="render even briefings whose fingerprint shows they are up to date")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the batch on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    d = sub.add_parser("data", help="build data/ from the raw sources")
    dsub = d.add_subparsers(dest="action", required=True)
    b = dsub.add_parser("build", help="rebuild data/ from the sources folder")
    b.add_argument("--sources", help="raw sources folder (default: $KIT_SOURCES or "
                                     "../shared/sources beside the repository)")
    b.add_argument("--out", help="data folder to replace (default: $KIT_DATA_DIR; data/ in a "
                                 "checkout; else your user data folder)")
    dsub.add_parser("check", help="print every source conflict, revision, gap and date caveat")
    f = dsub.add_parser("refresh", help="bring data/ forward: SEC companyfacts, submissions, "
                        "new earnings releases, and prices (with yfinance)")
    f.add_argument("tickers", nargs="*", help="companies to refresh (default: all)")
    f.add_argument("--user-agent", help="'Name email' for SEC (default: $KIT_SEC_USER_AGENT)")
    f.add_argument("--max-age-hours", type=float, default=24.0,
                   help="reuse cached downloads younger than this (default: 24)")
    f.add_argument("--sources", help="raw sources folder (as for build)")
    f.add_argument("--out", help="data folder to replace (as for build)")
    a = dsub.add_parser("add", help="add companies from SEC EDGAR (any SEC filer, by ticker)")
    a.add_argument("tickers", nargs="+", metavar="TICKER")
    a.add_argument("--prices", metavar="FILE",
                   help="daily prices of the company: a CSV with Date,Adj Close or "
                        "date,open,high,low,close,adj_close,volume (one company only)")
    a.add_argument("--user-agent", help="'Name email' for SEC (default: $KIT_SEC_USER_AGENT)")
    a.add_argument("--max-age-hours", type=float, default=24.0,
                   help="reuse cached downloads younger than this (default: 24)")
    a.add_argument("--out", help="data folder to replace (as for build)")
    x = dsub.add_parser("remove", help="remove companies added with `kit data add`")
    x.add_argument("tickers", nargs="+", metavar="TICKER")
    x.add_argument("--out", help="data folder to replace (as for build)")
    for p in (b, f, a, x):
        p.add_argument("--wait", type=float, metavar="SECONDS",
                       help="while another kit command writes the data folder, wait this "
                            "long, then give up (default: $KIT_DATA_WAIT, else as long as it "
                            "takes)")
    args = parser.parse_args(argv)
    if getattr(args, "wait", None) is not None:
        os.environ["KIT_DATA_WAIT"] = str(args.wait)  # read by kit.atomic.writing
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    # `kill` unwinds like Ctrl-C: temporary files are removed, kernels shut down.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        if args.command == "render":
            if args.every_release:
                if args.as_of:
                    parser.error("render: --every-release sets each briefing's date; leave "
                                 "out --as-of (--since DATE limits the releases)")
            elif args.all == bool(args.tickers):
                parser.error("render: give one or more tickers, --all or --every-release")
            elif args.since:
                parser.error("render: --since goes with --every-release")
            return _render(args, log)
        from kit import sec, sources

        if args.action == "build":
            print(sources.build(args.sources, args.out, log=log))
        elif args.action == "check":
            return _check()
        elif args.action == "remove":
            from kit.sources import pipeline

            print(pipeline.remove(args.tickers, args.out, log=log))
        elif args.action == "add":
            client = sec.Client(sec.user_agent(args.user_agent),
                                max_age_hours=args.max_age_hours, log=log)
            print(sec.add(args.tickers, client=client, data_dir=args.out, prices=args.prices,
                          log=log))
        else:
            client = sec.Client(sec.user_agent(args.user_agent),
                                max_age_hours=args.max_age_hours, log=log)
            print(sec.refresh(args.tickers, client=client, sources_dir=args.sources,
                              data_dir=args.out, log=log))
    except (RequestError, DataError) as err:
        parser.exit(2, f"kit: error: {err}\n")
    except (FetchError, RenderError, KernelError, OutputError, ClusterError) as err:
        parser.exit(1, f"kit: error: {err}\n")
    except KeyboardInterrupt:
        sys.unraisablehook = _quiet_loop_finalizer
        parser.exit(130, "kit: interrupted; nothing half-written was left behind\n")
    finally:
        _clean_up()
    return 0


def _terminated(signum, frame) -> None:
    """SIGTERM: exit as Ctrl-C does, quietly (see _quiet_loop_finalizer), with 128 + signal."""
    sys.unraisablehook = _quiet_loop_finalizer
    sys.exit(128 + signum)


def _quiet_loop_finalizer(unraisable) -> None:
    """After Ctrl-C or SIGTERM, an asyncio loop of a kernel client may be finalized at exit
    after its selector was closed; its `__del__` then fails. That is noise at exit, not an
    error."""
    if getattr(unraisable.object, "__qualname__", "") != "BaseEventLoop.__del__":
        sys.__unraisablehook__(unraisable)


def _clean_up() -> None:
    """Whatever ended the command: no kernel of ours keeps running, no temporary file stays."""
    if "kit.kernels" in sys.modules:
        sys.modules["kit.kernels"].shutdown_all()
    if "kit.atomic" in sys.modules:
        sys.modules["kit.atomic"].clean_temps()


def _render(args, log) -> int:
    """Check the whole request, then start the kernels and render."""
    from kit.kernels import check_jobs, skip_slow_imports

    skip_slow_imports()
    check_jobs(args.jobs)  # also for one ticker: a wrong value is an error, not ignored
    from kit import html, render

    html.prepare()  # the Vega bundle, in a side process, while the kernels start
    batch = dict(out_dir=args.out, jobs=args.jobs, progress=not args.no_progress,
                 notebook=args.notebook, force=args.force, scheduler=args.scheduler,
                 lang=args.lang)
    if args.every_release:
        result = render.render_archive(args.tickers or None, args.since, **batch)
    elif len(args.tickers) == 1 and not args.scheduler:
        print(render.render_briefing(args.tickers[0], args.as_of, args.out,
                                     not args.no_progress, args.notebook, force=args.force,
                                     log=log, lang=args.lang))
        return 0
    else:
        result = render.render_all(args.tickers or None, args.as_of, **batch)
    # one date: by ticker, as before; the archive: by file stem (ticker and date)
    name = (lambda stem: stem) if args.every_release else (lambda stem: render.split_stem(stem)[0])
    for stem, why in sorted(result.damaged.items()):
        log(f"{name(stem)}: rendered again: {why}")
    for stem, path in sorted(result.rendered.items()):
        print(f"{name(stem)}: {path} ({result.seconds[stem]:.1f} s)")
    for stem, error in sorted(result.failed.items()):
        print(f"{name(stem)}: FAILED: {error}", file=sys.stderr)
    for stem, note in sorted(result.no_data.items()):
        print(f"{name(stem)}: not rendered: {note}", file=sys.stderr)
    if result.up_to_date:
        log(f"{len(result.up_to_date)} briefing(s) up to date (fingerprints match), not "
            "rendered again; --force renders them anyway")
    print(result.index)
    if result.failed:
        print(f"kit: {len(result.failed)} of {len(result.failed) + len(result.rendered)} "
              "briefings failed", file=sys.stderr)
        return 1
    return 0


def _check() -> int:
    """Print the data-quality findings of every company, grouped by kind, then the trust
    summary: one row per company of what its briefing as of the data's date stands on."""
    from kit import data, metrics

    total = 0
    for ticker in data.load_companies()["ticker"]:
        found = metrics.quality(ticker)
        total += len(found)
        print(f"{ticker}: {len(found)} finding(s)")
        for r in found.itertuples():
            print(f"  {r.kind:<9} {r.period}: {r.detail}" + (f" ({r.quoted})" if r.quoted else ""))
    print(f"{total} finding(s) in all")
    as_of = data.as_of_date()
    summary = metrics.trust_summary(as_of)
    print(f"\nTrust summary as of {as_of:%Y-%m-%d} (the data's date):")
    print(summary.drop(columns="withheld_because").rename(columns=TRUST_COLUMNS)
          .to_string(index=False))
    for r in summary[summary["withheld_because"] != ""].itertuples():
        print(f"  {r.ticker} verdicts withheld: {r.withheld_because}")
    print(f"\nHorizons as of {as_of:%Y-%m-%d} (each company's latest release in the data):")
    rel = data.load_earnings_releases()
    for c in data.load_companies().itertuples():
        h = metrics.horizon(rel[rel["ticker"] == c.ticker], c.fiscal_year_end, as_of)
        if h is None:
            print(f"  {c.ticker}: no release in the data")
            continue
        print(f"  {c.ticker}: latest release {h['last_release_date']:%Y-%m-%d} "
              f"({h['last_quarter']}); {h['next_quarter']} due by {h['due_date']:%Y-%m-%d}"
              + (" — missing: `kit data refresh`" if h["missing"] else ""))
    _check_funding(data, metrics)
    ai = metrics.ai_written()
    print(f"\n{len(ai)} row(s) resting on a page written by an AI (a last resort):")
    for r in ai.itertuples():
        print(f"  {r.ticker} {r.table} {r.date:%Y-%m-%d} {r.what}: {r.source_type} "
              f"({r.source_url})")
    return 0


def _check_funding(data, metrics) -> None:
    """For each company: the quarters the sources give for operating cash flow,
    depreciation and the backlog, and every gap; where it states free cash flow, each
    quarter's stated figure against its own definition (a quarter that does not hold is
    listed with its review, or as unreviewed)."""
    import pandas as pd

    from kit.metrics.briefing import free_cash_flow

    print("\nCash flow, depreciation and backlog (figures in the sources), and free cash flow "
          "as each company states it against its own definition:")
    as_of = data.as_of_date()
    for c in data.load_companies().itertuples():
        q = metrics.quarterly(c.ticker, as_of, c.capex_metric)  # not a whole briefing
        have = []
        for metric in ("operating_cash_flow", "depreciation_and_amortization",
                       "remaining_performance_obligations", "free_cash_flow"):
            known = q[f"{metric}_usd"].notna().to_numpy()
            if not known.any():
                have.append(f"{metric}: not in the sources")
                continue
            first, last = known.argmax(), len(known) - known[::-1].argmax()
            gaps = list(q["quarter_label"].iloc[first:last][~known[first:last]])
            have.append(f"{metric} {int(known.sum())} quarter(s)"
                        + (f", missing {', '.join(gaps)}" if gaps else ""))
        print(f"  {c.ticker}: " + "; ".join(have))
        checked = free_cash_flow(c.ticker, as_of, q)
        if checked["fcf_definition"] is None:
            print("    states no free cash flow in the sources (no definition): nothing to check")
            continue
        d, f = checked["fcf_definition"], checked["fcf_identity"]
        counts = f["status"].value_counts()
        minus = " - ".join(d["subtracts"].split(" + "))
        print(f"    free cash flow = operating_cash_flow - {minus} ({d['source_url']}): "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for r in f.itertuples():  # every quarter it states one for
            by = ("not computable" if pd.isna(r.by_definition_usd)
                  else f"{r.by_definition_usd / 1e6:,.0f}M")
            print(f"    {r.status:<8} {r.quarter_label}: stated {r.stated_usd / 1e6:,.0f}M, by its "
                  f"definition {by}" + ("" if r.status == "holds" else "; " + (
                      f"reviewed: {r.review}" if r.review else "NOT REVIEWED")))


TRUST_COLUMNS = {"as_reported_quarters": "as reported", "comparable_quarters": "comparable",
                 "revenue_quarters": "revenue", "last_quarter": "last quarter",
                 "verdicts_given": "verdicts", "verdicts_withheld": "withheld",
                 "dated_by_deadline": "by deadline"}


if __name__ == "__main__":
    sys.exit(main())
