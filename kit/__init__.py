"""AI-infrastructure capex research kit: sourced data, charts and offline briefings.

The public names below are imported on first use (PEP 562), so that `kit render` does not pay
for altair in a process that draws no chart.
"""

from importlib import import_module

__version__ = "0.1.0"

_WHERE = {
    "kit.charts": ("capex_chart", "funding_chart", "growth_chart", "guidance_chart",
                   "intensity_chart", "peer_chart", "reaction_chart", "use_briefing_renderer"),
    "kit.data": ("load_capex_guidance", "load_companies", "load_company_notes",
                 "load_earnings_releases", "load_financials", "load_free_cash_flow_definitions",
                 "load_free_cash_flow_reviews", "load_prices",
                 "load_release_sentences", "load_sources", "load_statement_translations",
                 "load_statements"),
    "kit.i18n": ("use_language",),
    "kit.metrics": ("Briefing", "RequestError", "load_briefing", "quality", "trust_summary"),
    "kit.render": ("RenderError", "render_all", "render_briefing"),
    "kit.schema": ("DataError",),
    "kit.sections": ("footer_html", "funding_html", "guidance_html", "headline_html",
                     "methodology_html", "peers_html", "quality_html", "quarters_html",
                     "reactions_html", "sources_html", "statements_html", "title_html"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(import_module(_MODULE_OF[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
