"""AI-infrastructure capex research kit: sourced data, charts and offline briefings."""

from kit.charts import (
    capex_chart,
    growth_chart,
    guidance_chart,
    intensity_chart,
    peer_chart,
    reaction_chart,
    use_briefing_renderer,
)
from kit.data import (
    load_capex_guidance,
    load_companies,
    load_earnings_releases,
    load_financials,
    load_prices,
    load_sources,
    load_statements,
)
from kit.metrics import Briefing, RequestError, load_briefing, quality
from kit.render import RenderError, render_briefing
from kit.schema import DataError
from kit.sections import (
    footer_html,
    guidance_html,
    headline_html,
    methodology_html,
    peers_html,
    quality_html,
    quarters_html,
    reactions_html,
    sources_html,
    statements_html,
    title_html,
)

__version__ = "0.1.0"
__all__ = [
    "Briefing", "DataError", "RenderError", "RequestError", "capex_chart", "footer_html",
    "growth_chart", "guidance_chart", "guidance_html", "headline_html", "intensity_chart",
    "load_briefing", "load_capex_guidance", "load_companies", "load_earnings_releases",
    "load_financials", "load_prices", "load_sources", "load_statements", "methodology_html",
    "peer_chart", "peers_html", "quality", "quality_html", "quarters_html", "reactions_html",
    "reaction_chart", "render_briefing", "sources_html", "statements_html", "title_html",
    "use_briefing_renderer",
]
