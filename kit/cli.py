"""Command line: `kit render TICKER [--as-of DATE]`, `kit data build`."""

from __future__ import annotations

import argparse
import sys

from kit import render, sources
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
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            path = render.render_briefing(args.ticker, args.as_of, args.out,
                                          progress=not args.no_progress)
            print(path)
        else:
            print(sources.build(args.sources, args.out, log=lambda m: print(m, file=sys.stderr)))
    except (RequestError, DataError) as err:
        parser.exit(2, f"kit: error: {err}\n")
    except render.RenderError as err:
        parser.exit(1, f"kit: error: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
