"""Chart builders: pure functions DataFrame -> alt.Chart, no I/O.

Charts carry only the columns they draw (small specs), and tooltips with value, period and
source. `use_briefing_renderer()` makes notebook outputs carry the Vega-Lite spec itself, which
the offline HTML export embeds (see kit.html).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from altair.vegalite.v6.display import html_renderer

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
_LEGEND = alt.Legend(orient="top", labelLimit=400)  # full metric names above the plot
_METRIC_TITLES = {
    "purchases_of_property_and_equipment_usd": "Purchases of property and equipment",
    "finance_lease_principal_payments_usd": "Principal payments on finance leases",
    "ocf_minus_free_cash_flow_usd": "Operating cash flow minus free cash flow",
}
# The headline metrics drawn as a stack of their components.
_COMPONENTS = {"capex_incl_finance_leases": ["purchases_of_property_and_equipment_usd",
                                             "finance_lease_principal_payments_usd"]}


def _renderer(spec: dict, **kwargs) -> dict:
    """Spec for the HTML export, plus altair's own HTML view for JupyterLab."""
    bundle = html_renderer(spec, **kwargs)
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    return {**bundle, VEGALITE_MIME: spec}


alt.renderers.register("kit", _renderer)


def use_briefing_renderer() -> None:
    """Display charts so that `kit render` can export them offline."""
    alt.renderers.enable("kit")


def empty_chart(message: str) -> alt.Chart:
    """A chart-sized note, for a section whose data the sources do not have."""
    return alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14).encode(
        text="text:N").properties(width="container", height=60)


def capex_chart(quarters: pd.DataFrame, guidance: pd.DataFrame | None = None,
                capex_metric: str = "capex_incl_finance_leases") -> alt.Chart:
    """Quarterly capex, stacked by component where the company reports both, with the
    current year's guidance range as a quarterly-average band."""
    parts = [c for c in _COMPONENTS.get(capex_metric, [f"{capex_metric}_usd"])
             if c in quarters and quarters[c].notna().any()]
    if not parts:
        return empty_chart(f"No {capex_metric} figures in the sources.")
    known = quarters["capex_usd"].notna()
    if known.any():  # leading quarters without the headline figure would look like zero capex
        quarters = quarters[known.cumsum() > 0]
    order = list(quarters["quarter_label"])
    long = quarters.melt(id_vars=["period_end_date", "quarter_label"], value_vars=parts,
                         var_name="component", value_name="usd").dropna(subset=["usd"])
    sources = quarters.melt(id_vars=["period_end_date"],
                            value_vars=[c.replace("_usd", "_source") for c in parts],
                            var_name="component", value_name="source")
    sources["component"] = sources["component"].str.replace("_source", "_usd")
    long = long.merge(sources, on=["period_end_date", "component"])
    long["component"] = long["component"].map(_METRIC_TITLES)
    long["usd_bn"] = long["usd"] / 1e9
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("quarter_label:N", sort=order, title="Quarter (period end)"),
        y=alt.Y("sum(usd_bn):Q", title="USD billions"),
        color=alt.Color("component:N", title=None, legend=_LEGEND),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quarter"),
                 alt.Tooltip("component:N", title="Metric"),
                 alt.Tooltip("usd_bn:Q", title="USD bn", format=",.3f"),
                 alt.Tooltip("source:N", title="Source")],
    )
    chart = bars
    if guidance is not None and not guidance.empty:
        latest = guidance.iloc[-1]
        year = quarters[quarters["quarter_label"].str.startswith(
            f"FY{int(latest['fiscal_year']) % 100:02d} ")]
        if not year.empty:
            band = pd.DataFrame({
                "quarter_label": year["quarter_label"],
                "low_bn": latest["low_usd"] / 4e9, "high_bn": latest["high_usd"] / 4e9,
                "guidance": f"FY{int(latest['fiscal_year'])} outlook "
                            f"${latest['low_usd'] / 1e9:g}-{latest['high_usd'] / 1e9:g}B "
                            f"(given {latest['given_date']:%Y-%m-%d}), per quarter",
            })
            chart = alt.layer(bars, alt.Chart(band).mark_rect(opacity=0.35, color="#666").encode(
                x=alt.X("quarter_label:N", sort=order), y="low_bn:Q", y2="high_bn:Q",
                tooltip=[alt.Tooltip("guidance:N", title="Guidance")]))
    return chart.properties(width="container", height=280,
                            title="Capital expenditures by quarter")


def intensity_chart(quarters: pd.DataFrame) -> alt.Chart:
    """Capex as a share of revenue, and year-over-year growth, by quarter."""
    cols = {"capex_to_revenue_pct": "Capex / revenue (%)",
            "capex_yoy_pct": "Capex growth, year over year (%)"}
    long = quarters.melt(id_vars=["quarter_label"], value_vars=list(cols), var_name="measure",
                         value_name="pct").dropna(subset=["pct"])
    long["measure"] = long["measure"].map(cols)
    order = [q for q in quarters["quarter_label"] if q in set(long["quarter_label"])]
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("quarter_label:N", sort=order, title="Quarter"),
        y=alt.Y("pct:Q", title="percent"),
        color=alt.Color("measure:N", title=None, legend=_LEGEND),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quarter"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("pct:Q", title="%", format=".1f")],
    ).properties(width="container", height=220, title="Growth and intensity")


def guidance_chart(guidance: pd.DataFrame) -> alt.Chart:
    """Each outlook range over the date it was given, one color per fiscal year."""
    if guidance.empty:
        return empty_chart("No full-year capex outlook in the sources.")
    g = guidance.assign(
        low_bn=guidance["low_usd"] / 1e9, high_bn=guidance["high_usd"] / 1e9,
        year=guidance["fiscal_year"].map("FY{}".format),
        source=[" | ".join(f"{t}: {u}" for t, u in s) for s in guidance["sources"]],
    )[["given_date", "low_bn", "high_bn", "year", "change", "source"]]
    tooltip = [alt.Tooltip("year:N", title="Year"),
               alt.Tooltip("given_date:T", title="Given", format="%Y-%m-%d"),
               alt.Tooltip("low_bn:Q", title="Low, USD bn"),
               alt.Tooltip("high_bn:Q", title="High, USD bn"),
               alt.Tooltip("change:N", title="Change"), alt.Tooltip("source:N", title="Source")]
    base = alt.Chart(g).encode(
        x=alt.X("given_date:T", title="Date given", scale=alt.Scale(padding=30)),
        color=alt.Color("year:N", title="Outlook for"), tooltip=tooltip)
    return (base.mark_rule(strokeWidth=6).encode(y=alt.Y("low_bn:Q", title="USD billions"),
                                                  y2="high_bn:Q")
            + base.mark_tick(thickness=2, size=18).encode(y="low_bn:Q")
            + base.mark_tick(thickness=2, size=18).encode(y="high_bn:Q")
            ).properties(width="container", height=220, title="Capex outlook as given")


def reaction_chart(reactions: pd.DataFrame) -> alt.Chart:
    """Stock move on the first session after each release, and the move in excess of QQQ."""
    if reactions.empty:
        return empty_chart("No earnings release dates (or no prices) in the sources.")
    r = reactions.assign(quarter=[f"FY{y % 100:02d} Q{q}" for y, q in
                                  zip(reactions["fiscal_year"], reactions["fiscal_quarter"])])
    long = r.melt(id_vars=["quarter", "release_date", "session_date"],
                  value_vars=["move_pct", "excess_pct"], var_name="measure", value_name="pct")
    long["measure"] = long["measure"].map({"move_pct": "Stock move",
                                           "excess_pct": "Move in excess of QQQ"})
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("quarter:N", sort=None, title="Results for"),
        xOffset="measure:N",
        y=alt.Y("pct:Q", title="percent, close to close"),
        color=alt.Color("measure:N", title=None, legend=_LEGEND),
        tooltip=[alt.Tooltip("quarter:N", title="Results for"),
                 alt.Tooltip("release_date:T", title="Released", format="%Y-%m-%d"),
                 alt.Tooltip("session_date:T", title="Session", format="%Y-%m-%d"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("pct:Q", title="%", format="+.1f")],
    ).properties(width="container", height=220,
                 title="Stock reaction on the first session after each release")
