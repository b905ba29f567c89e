"""Build data/ from the raw public files in the sources folder, reproducibly.

One module per raw source turns its files into rows of the tidy tables and nothing else:
`press` (press_releases/), `sec_extract`, `calendar` (capex by calendar quarter),
`companyfacts` and `submissions` (whole SEC documents), `recent` (recent_financials/),
`earnings_dates`, `prices`, `statements` and `additions` (the kit's own sourced rows and the
companies with their settings). `pipeline` builds the tables, reports what changed and
replaces data/ in one step; `common` holds what the adapters share.
"""

from kit.sources.common import SOURCES, finite_float
from kit.sources.pipeline import build, build_tables, changes

__all__ = ["SOURCES", "build", "build_tables", "changes", "finite_float"]
