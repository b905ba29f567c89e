"""What a briefing says, computed from the tables as of a date: capex by quarter on two bases
(as the company reports it, and comparable across companies), growth, trailing sums,
intensity, guidance steps and verdicts, stock reactions, data-quality findings.

One module per concern; the functions that compute take frames and return frames
(`quality` and `reactions` read their tables themselves), and `briefing` loads the tables
for one company and date and calls them:

- requests: a ticker and a date checked (RequestError says what is valid)
- asof: which rows were public on a date, and which were not yet
- measures: a company's quarters on both measures, growth, trailing sums, full years
- peers: every company by calendar quarter
- guidance: outlook steps, how they moved, verdicts on the same basis
- reactions: stock reactions to releases, and how far the releases reach
- funding: operating cash flow, free cash flow after capex, depreciation and backlog
- quality: conflicts, revisions, gaps, derivations and dates a reader should know
- briefing: the Briefing of one company and date, and its headline figures
"""

from kit.errors import NoDataYet, RequestError
from kit.metrics.asof import as_of_rows, later_quarters, pending, pending_rows
from kit.metrics.briefing import (
    Briefing,
    current_financials,
    guidance_history,
    load_briefing,
    peers,
    quarterly,
    summary,
    summary_of,
    trust_summary,
    with_translations,
)
from kit.metrics.funding import funding, identity
from kit.metrics.guidance import (
    BASIS_REASONS,
    YEAR_KINDS,
    current_outlook,
    fiscal_year_label,
    guidance_steps,
    other_outlooks,
    outlook_text,
    verdicts,
)
from kit.metrics.measures import (
    COMPARABLE_DEFINITION,
    DERIVATIONS,
    METRIC_NAMES,
    annual,
    measures,
    metric_name,
    quarter_label,
)
from kit.metrics.quality import AI_WRITTEN, ai_written, quality
from kit.metrics.reactions import (
    DUE_SLACK_DAYS,
    horizon,
    horizon_note,
    latest_release,
    reactions,
    reactions_note,
    releases,
)
from kit.metrics.requests import check_date, check_request, data_range, date_or_none

__all__ = [
    "AI_WRITTEN", "BASIS_REASONS", "Briefing", "COMPARABLE_DEFINITION", "DERIVATIONS",
    "DUE_SLACK_DAYS", "METRIC_NAMES", "NoDataYet", "RequestError", "YEAR_KINDS", "ai_written",
    "annual", "as_of_rows", "check_date", "check_request", "current_financials", "current_outlook",
    "data_range", "date_or_none", "fiscal_year_label", "funding", "guidance_history",
    "guidance_steps", "horizon", "horizon_note", "identity", "later_quarters", "latest_release",
    "load_briefing", "measures", "metric_name", "other_outlooks", "outlook_text", "peers",
    "pending", "pending_rows", "quality", "quarter_label", "quarterly", "reactions",
    "reactions_note", "releases", "summary", "summary_of", "trust_summary", "verdicts",
    "with_translations"
]
