"""Chart builders: pure functions DataFrame -> alt.Chart, no I/O.

Charts carry only the columns they draw (small specs), and tooltips with value, period and
source. `use_briefing_renderer()` makes notebook outputs carry the Vega-Lite spec itself, which
the offline HTML export embeds (see kit.html), and an SVG for viewing in JupyterLab.
"""

from __future__ import annotations

import os

import altair as alt
import pandas as pd
import vl_convert

from kit.schema import SUMS

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
_LEGEND = alt.Legend(orient="top", labelLimit=400)  # full metric names above the plot
_METRIC_TITLES = {
    "purchases_of_property_and_equipment_usd": "Purchases of property and equipment",
    "finance_lease_principal_payments_usd": "Principal payments on finance leases",
    "ocf_minus_free_cash_flow_usd": "Operating cash flow minus free cash flow",
}


def _renderer(spec: dict, **kwargs) -> dict:
    """The Vega-Lite spec, which the HTML export embeds; in an interactive notebook also an
    SVG drawn by vl-convert, which JupyterLab (it has no Vega-Lite 6 renderer) shows offline.
    Kernels that `kit render` starts set KIT_EXPORT and skip the drawing."""
    bundle = {VEGALITE_MIME: spec}
    if not os.environ.get("KIT_EXPORT"):
        bundle["image/svg+xml"] = vl_convert.vegalite_to_svg(spec)
    return bundle


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
    parts = [f"{m}_usd" for m in SUMS.get(capex_metric, (capex_metric,))]  # stacked parts
    parts = [c for c in parts if c in quarters and quarters[c].notna().any()]
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
    """Capex as a share of the same quarter's revenue."""
    return _pct_chart(quarters, "capex_to_revenue_pct", "Capex as a share of revenue (%)",
                      "#4c78a8")


def growth_chart(quarters: pd.DataFrame) -> alt.Chart:
    """Capex growth against the same fiscal quarter a year earlier."""
    return _pct_chart(quarters, "capex_yoy_pct", "Capex growth, year over year (%)", "#f58518")


def _pct_chart(quarters: pd.DataFrame, column: str, title: str, color: str) -> alt.Chart:
    q = quarters.dropna(subset=[column])
    if q.empty:
        return empty_chart(f"{title}: not computable from the sources (a quarter missing).")
    q = pd.DataFrame({"quarter_label": q["quarter_label"], "pct": q[column],
                      "source": "computed by the kit from the capex and revenue rows"})
    return alt.Chart(q).mark_line(point=True, color=color).encode(
        x=alt.X("quarter_label:N", sort=list(q["quarter_label"]), title="Quarter"),
        y=alt.Y("pct:Q", title="percent"),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quarter"),
                 alt.Tooltip("pct:Q", title=title, format=".1f"),
                 alt.Tooltip("source:N", title="Source")],
    ).properties(width="container", height=200, title=title)


def guidance_chart(guidance: pd.DataFrame, actuals: pd.DataFrame | None = None) -> alt.Chart:
    """Each outlook range over the date it was given, one color per fiscal year, and the
    actual total (a diamond at the year's end) once the year has closed."""
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
    layers = [base.mark_rule(strokeWidth=6).encode(y=alt.Y("low_bn:Q", title="USD billions"),
                                                    y2="high_bn:Q"),
              base.mark_tick(thickness=2, size=18).encode(y="low_bn:Q"),
              base.mark_tick(thickness=2, size=18).encode(y="high_bn:Q")]
    years = set(guidance["fiscal_year"])
    if actuals is not None and not actuals[actuals["fiscal_year"].isin(years)].empty:
        a = actuals[actuals["fiscal_year"].isin(years)]
        a = pd.DataFrame({"year_end_date": a["year_end_date"], "actual_bn": a["actual_usd"] / 1e9,
                          "year": a["fiscal_year"].map("FY{}".format),
                          "source": "sum of the four quarters in the table of quarters"})
        layers.append(alt.Chart(a).mark_point(shape="diamond", size=120, filled=True).encode(
            x="year_end_date:T", y="actual_bn:Q", color="year:N",
            tooltip=[alt.Tooltip("year:N", title="Actual for"),
                     alt.Tooltip("year_end_date:T", title="Year ended", format="%Y-%m-%d"),
                     alt.Tooltip("actual_bn:Q", title="USD bn", format=",.2f"),
                     alt.Tooltip("source:N", title="Source")]))
    return alt.layer(*layers).properties(width="container", height=220,
                                         title="Capex outlook as given, and the actual")


def reaction_chart(reactions: pd.DataFrame) -> alt.Chart:
    """Stock move on the first session after each release, and the move in excess of QQQ."""
    if reactions.empty:
        return empty_chart("No earnings release dates (or no prices) in the sources.")
    r = reactions.assign(quarter=[f"FY{y % 100:02d} Q{q}" for y, q in
                                  zip(reactions["fiscal_year"], reactions["fiscal_quarter"])])
    r["source"] = "adjusted closes (prices); release date: " + r["source_url"]
    long = r.melt(id_vars=["quarter", "release_date", "session_date", "source"],
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
                 alt.Tooltip("pct:Q", title="%", format="+.1f"),
                 alt.Tooltip("source:N", title="Source")],
    ).properties(width="container", height=220,
                 title="Stock reaction on the first session after each release")


PEER_MEASURES = {"capex_bn": "Capex, USD billions",
                 "capex_yoy_pct": "Capex growth, year over year (%)",
                 "capex_to_revenue_pct": "Capex as a share of revenue (%)"}


def peer_chart(peers: pd.DataFrame, ticker: str) -> alt.Chart:
    """Every company on the same calendar quarters. A drop-down in the page (a Vega-Lite
    param, no kernel needed) picks the measure; clicking a legend entry highlights a company.
    The briefing's own company is drawn thicker."""
    p = peers.assign(capex_bn=peers["capex_usd"] / 1e9,
                     own=(peers["ticker"] == ticker).map({True: 3.5, False: 1.5}))
    order = list(dict.fromkeys(p.sort_values(["calendar_year", "calendar_quarter"])
                               ["calendar_label"]))
    p = p.rename(columns=PEER_MEASURES)[["ticker", "calendar_label", "quarter_label", "source",
                                         "own", *PEER_MEASURES.values()]]
    names = list(PEER_MEASURES.values())
    measure = alt.param(name="measure", value=names[0],
                        bind=alt.binding_select(options=names, name="Show: "))
    pick = alt.selection_point(fields=["ticker"], bind="legend", name="company")
    return alt.Chart(p).transform_fold(names, as_=["measure", "value"]).transform_filter(
        alt.datum.measure == measure).transform_filter("isValid(datum.value)").mark_line(
        point=True).encode(
        x=alt.X("calendar_label:N", sort=order, title="Calendar quarter"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("ticker:N", title="Company", legend=alt.Legend(orient="right")),
        strokeWidth=alt.StrokeWidth("own:Q", legend=None),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
        tooltip=[alt.Tooltip("ticker:N", title="Company"),
                 alt.Tooltip("calendar_label:N", title="Calendar quarter"),
                 alt.Tooltip("quarter_label:N", title="Company's quarter"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=",.2f"),
                 alt.Tooltip("source:N", title="Source")],
    ).add_params(measure, pick).properties(
        width="container", height=300,
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding", resize=True),
        title="Peers on the same calendar quarters (each company's capex as it defines it)")
