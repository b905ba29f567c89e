"""Command line: `kit render TICKER [--as-of DATE]`, `kit data build | check | refresh`."""

from __future__ import annotations

import argparse
import sys

from kit import metrics, render, sec, sources
from kit.metrics import RequestError
from kit.schema import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render one company's briefing as offline HTML")
    r.add_argument("ticker", help="company ticker, e.g. META")
    r.add_argument("--as-of", help="YYYY-MM-DD; only what was public by then (default: latest)")
    r.add_argument("--out", default="reports", help="output folder (default: reports)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    d = sub.add_parser("data", help="build data/ from the raw sources")
    dsub = d.add_subparsers(dest="action", required=True)
    b = dsub.add_parser("build", help="rebuild data/ from the sources folder")
    b.add_argument("--sources", help="raw sources folder (default: $KIT_SOURCES or "
                                     "../shared/sources beside the repository)")
    b.add_argument("--out", help="data folder to replace (default: the repository's data/)")
    dsub.add_parser("check", help="print every source conflict, revision, gap and date caveat")
    f = dsub.add_parser("refresh", help="download SEC EDGAR companyfacts and rebuild data/")
    f.add_argument("tickers", nargs="*", help="companies to refresh (default: all)")
    f.add_argument("--user-agent", help="'Name email' for SEC (default: $KIT_SEC_USER_AGENT)")
    f.add_argument("--max-age-hours", type=float, default=sec.MAX_AGE_HOURS,
                   help="reuse cached downloads younger than this (default: 24)")
    f.add_argument("--sources", help="raw sources folder (as for build)")
    f.add_argument("--out", help="data folder to replace (as for build)")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    try:
        if args.command == "render":
            path = render.render_briefing(args.ticker, args.as_of, args.out,
                                          progress=not args.no_progress)
            print(path)
        elif args.action == "build":
            print(sources.build(args.sources, args.out, log=log))
        elif args.action == "check":
            return _check()
        else:
            client = sec.Client(sec.user_agent(args.user_agent),
                                max_age_hours=args.max_age_hours, log=log)
            print(sec.refresh(args.tickers, client=client, sources_dir=args.sources,
                              data_dir=args.out, log=log))
    except (RequestError, DataError) as err:
        parser.exit(2, f"kit: error: {err}\n")
    except sec.FetchError as err:
        parser.exit(1, f"kit: error: {err}\n")
    except render.RenderError as err:
        parser.exit(1, f"kit: error: {err}\n")
    return 0


def _check() -> int:
    """Print the data-quality findings of every company, grouped by kind."""
    from kit import data

    total = 0
    for ticker in data.load_companies()["ticker"]:
        found = metrics.quality(ticker)
        total += len(found)
        print(f"{ticker}: {len(found)} finding(s)")
        for r in found.itertuples():
            print(f"  {r.kind:<9} {r.period}: {r.detail}")
    print(f"{total} finding(s) in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
