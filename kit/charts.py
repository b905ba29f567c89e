"""Chart builders: pure functions DataFrame -> alt.Chart, no I/O.

Charts carry only the columns they draw (small specs), and tooltips with value, period and
source. Sizes, fonts, colours and legends are one Altair theme, `kit`, registered and enabled
here: a fixed width that reads well in a notebook; the kit's HTML export widens every chart to
the page (kit.html). `use_briefing_renderer()` makes notebook outputs carry the Vega-Lite
spec, which the export embeds, and in JupyterLab an interactive chart (Altair's JupyterChart,
offline) with tooltips and the peer chart's drop-down.
"""

from __future__ import annotations

import os

import altair as alt
import pandas as pd

from kit import periods
from kit.metrics import METRIC_NAMES, outlook_text
from kit.schema import COMPARABLE, SUMS

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
# vega-embed in JupyterLab: SVG, and a menu that saves SVG or PNG in the browser (no links
# to the online editor)
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False,
                                                 "compiled": False, "editor": False}}
WIDTH, HEIGHT = 720, 260  # pixels, in a notebook; the export uses the page's width
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac"]


@alt.theme.register("kit", enable=True)
def theme() -> alt.theme.ThemeConfig:
    """Every chart's size, fonts, colours and legend placement, in one place."""
    return alt.theme.ThemeConfig(
        width=WIDTH, height=HEIGHT,
        config={"font": FONT,
                "title": {"fontSize": 14, "anchor": "start", "offset": 10},
                "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 200,
                         "gridColor": "#e8e8e8"},
                "legend": {"orient": "top", "labelLimit": 400, "labelFontSize": 11,
                           "titleFontSize": 11},
                "range": {"category": PALETTE},
                "view": {"stroke": None}})


def _renderer(spec: dict, **kwargs) -> dict:
    """The Vega-Lite spec, which the HTML export embeds; in an interactive session also an
    interactive chart for JupyterLab (its own Vega-Lite 6 renderer, loaded from vl-convert,
    not a CDN). Kernels that `kit render` starts set KIT_EXPORT and make only the spec."""
    bundle = {VEGALITE_MIME: spec}
    if not os.environ.get("KIT_EXPORT"):
        bundle.update(interactive(spec))
    return bundle


def interactive(spec: dict) -> dict:
    """The mimebundle of an offline JupyterChart widget showing `spec`."""
    alt.JupyterChart.enable_offline()
    chart = (alt.LayerChart if "layer" in spec else alt.Chart).from_dict(spec, validate=False)
    data = alt.JupyterChart(chart, embed_options=EMBED_OPTIONS)._repr_mimebundle_()
    return data[0] if isinstance(data, tuple) else data


alt.renderers.register("kit", _renderer)


def use_briefing_renderer() -> None:
    """Display charts so that `kit render` can export them offline."""
    alt.renderers.enable("kit")


def empty_chart(message: str) -> alt.Chart:
    """A chart-sized note, for a section whose data the sources do not have."""
    return alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14).encode(
        text="text:N").properties(height=60)


def capex_chart(quarters: pd.DataFrame, outlook: dict | None = None,
                capex_metric: str = COMPARABLE) -> alt.Chart:
    """Quarterly capex as the company reports it, stacked by component where it has parts;
    the comparable measure as a line where it differs; and the current full-year outlook
    divided by four as a band, only when the outlook is on one of the drawn bases."""
    parts = [f"{m}_usd" for m in SUMS.get(capex_metric, (capex_metric,))]  # stacked parts
    parts = [c for c in parts if c in quarters and quarters[c].notna().any()]
    if not parts:
        return empty_chart(f"No {capex_metric} figures in the sources.")
    known = quarters["capex_usd"].notna()
    if known.any():  # leading quarters without the headline figure would look like zero capex
        quarters = quarters[known.cumsum() > 0]
    order = list(quarters["quarter_label"])
    # Only quarters with the whole figure: a part alone would look like all of the capex.
    long = quarters[quarters["capex_usd"].notna()].melt(
        id_vars=["period_end_date", "quarter_label"], value_vars=parts,
        var_name="component", value_name="usd").dropna(subset=["usd"])
    sources = quarters.melt(id_vars=["period_end_date"],
                            value_vars=[c.replace("_usd", "_source") for c in parts],
                            var_name="component", value_name="source")
    sources["component"] = sources["component"].str.replace("_source", "_usd")
    long = long.merge(sources, on=["period_end_date", "component"])
    long["component"] = long["component"].map(lambda c: _title(c[:-4]))
    long["usd_bn"] = long["usd"] / 1e9
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("quarter_label:N", sort=order, title="Quarter (period end)"),
        y=alt.Y("sum(usd_bn):Q", title="USD billions"),
        color=alt.Color("component:N", title=None),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quarter"),
                 alt.Tooltip("component:N", title="Metric"),
                 alt.Tooltip("usd_bn:Q", title="USD bn", format=",.3f"),
                 alt.Tooltip("source:N", title="Source")],
    )
    layers = [bars]
    drawn = {capex_metric}
    comparable = quarters.dropna(subset=["comparable_usd"]) if "comparable_usd" in quarters \
        else quarters.iloc[0:0]
    if capex_metric != COMPARABLE and not comparable.empty:
        drawn.add(COMPARABLE)
        layers.append(_overlay(comparable, COMPARABLE, "Comparable capex (purchases + "
                                                       "finance-lease principal)", order,
                               alt.Chart.mark_line, point=True, strokeDash=[4, 2]))
    quoted = "capex_incl_finance_lease_additions"  # a company's own quoted total, where given
    if f"{quoted}_usd" in quarters and quarters[f"{quoted}_usd"].notna().any():
        layers.append(_overlay(quarters.dropna(subset=[f"{quoted}_usd"]), quoted,
                               "As the company quotes it, including finance leases", order,
                               alt.Chart.mark_point, filled=True, size=70, shape="diamond"))
    if outlook is not None and outlook.get("basis") in drawn \
            and pd.notna(outlook.get("low_usd")) and pd.notna(outlook.get("high_usd")):
        year = quarters[quarters["fiscal_year"] == outlook["fiscal_year"]]
        if not year.empty:
            band = pd.DataFrame({
                "quarter_label": year["quarter_label"],
                "low_bn": outlook["low_usd"] / 4e9, "high_bn": outlook["high_usd"] / 4e9,
                "guidance": f"FY{int(outlook['fiscal_year'])} outlook {outlook['text']} "
                            f"(given {outlook['given_date']:%Y-%m-%d}; basis: "
                            f"{_title(outlook['basis'])}), per quarter",
            })
            layers.append(alt.Chart(band).mark_rect(opacity=0.35, color="#666").encode(
                x=alt.X("quarter_label:N", sort=order), y="low_bn:Q", y2="high_bn:Q",
                tooltip=[alt.Tooltip("guidance:N", title="Guidance")]))
    chart = alt.layer(*layers) if len(layers) > 1 else bars
    return chart.properties(title=f"Capital expenditures by quarter, as reported "
                                  f"({_title(capex_metric)})")


def _overlay(rows: pd.DataFrame, metric: str, name: str, order: list, mark, **style):
    """One more measure over the capex bars, in the same legend."""
    data = pd.DataFrame({"quarter_label": rows["quarter_label"],
                         "usd_bn": rows[f"{metric}_usd"] / 1e9, "component": name,
                         "source": rows[f"{metric}_source"]})
    return mark(alt.Chart(data), **style).encode(
        x=alt.X("quarter_label:N", sort=order), y="usd_bn:Q",
        color=alt.Color("component:N", title=None),
        tooltip=[alt.Tooltip("quarter_label:N", title="Quarter"),
                 alt.Tooltip("component:N", title="Metric"),
                 alt.Tooltip("usd_bn:Q", title="USD bn", format=",.3f"),
                 alt.Tooltip("source:N", title="Source")])


def _title(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric.replace("_", " "))


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
    ).properties(title=title)


def guidance_chart(guidance: pd.DataFrame, actuals: pd.DataFrame | None = None) -> alt.Chart | None:
    """Each full-year outlook over the date it was given, one color per fiscal year, and the
    actual total (a diamond at the year's end) where it is on the outlook's basis."""
    if guidance.empty:
        return None  # the section says so in one line (sections.guidance_html)
    g = guidance.assign(
        low_bn=guidance["low_usd"] / 1e9, high_bn=guidance["high_usd"] / 1e9,
        year=guidance["fiscal_year"].map("FY{}".format),
        outlook=[outlook_text(r) for r in guidance.to_dict("records")],
        basis=guidance["basis"].map(_title),
        source=[" | ".join(f"{t}: {u}" for t, u in s) for s in guidance["sources"]],
    )[["given_date", "low_bn", "high_bn", "year", "outlook", "basis", "change", "source"]]
    tooltip = [alt.Tooltip("year:N", title="Year"),
               alt.Tooltip("given_date:T", title="Given", format="%Y-%m-%d"),
               alt.Tooltip("outlook:N", title="Outlook"), alt.Tooltip("basis:N", title="Basis"),
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
        a = pd.DataFrame({"year_end": a["period_end_date"], "actual_bn": a["actual_usd"] / 1e9,
                          "year": a["fiscal_year"].map("FY{}".format),
                          "verdict": a["verdict"], "basis": a["basis"].map(_title),
                          "source": "sum of the four quarters in the table of quarters"})
        layers.append(alt.Chart(a).mark_point(shape="diamond", size=120, filled=True).encode(
            x="year_end:T", y="actual_bn:Q", color="year:N",
            tooltip=[alt.Tooltip("year:N", title="Actual for"),
                     alt.Tooltip("year_end:T", title="Year ended", format="%Y-%m-%d"),
                     alt.Tooltip("actual_bn:Q", title="USD bn", format=",.2f"),
                     alt.Tooltip("basis:N", title="Basis"),
                     alt.Tooltip("verdict:N", title="Against the last outlook"),
                     alt.Tooltip("source:N", title="Source")]))
    return alt.layer(*layers).properties(title="Capex outlook as given, and the actual on its "
                                               "basis")


def reaction_chart(reactions: pd.DataFrame) -> alt.Chart | None:
    """Stock move on the first session after each release, and the move in excess of QQQ."""
    if reactions.empty:
        return None  # the section says why in one line (sections.reactions_html)
    r = reactions.assign(quarter=[periods.label(y, q) for y, q in
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
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("quarter:N", title="Results for"),
                 alt.Tooltip("release_date:T", title="Released", format="%Y-%m-%d"),
                 alt.Tooltip("session_date:T", title="Session", format="%Y-%m-%d"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("pct:Q", title="%", format="+.1f"),
                 alt.Tooltip("source:N", title="Source")],
    ).properties(title="Stock reaction on the first session after each release")


PEER_MEASURES = {  # the drop-down's options, the comparable measure first (the default)
    ("comparable", "_usd"): "Comparable capex, USD billions",
    ("capex", "_usd"): "Capex as each company reports it, USD billions",
    ("comparable", "_yoy_pct"): "Comparable capex growth, year over year (%)",
    ("capex", "_yoy_pct"): "As-reported capex growth, year over year (%)",
    ("comparable", "_to_revenue_pct"): "Comparable capex as a share of revenue (%)",
    ("capex", "_to_revenue_pct"): "As-reported capex as a share of revenue (%)",
}


def peer_chart(peers: pd.DataFrame, ticker: str) -> alt.Chart | None:
    """Every company on the same calendar quarters. A drop-down in the page (a Vega-Lite
    param, no kernel needed) picks the measure, the comparable one first; clicking a legend
    entry highlights a company. The briefing's own company is drawn thicker. Every point's
    tooltip names its basis and source. None when no peer figure was public yet."""
    p = peers[peers["is_public"]]
    if p.empty:
        return None  # the section says so in one line (sections.peers_html)
    order = list(dict.fromkeys(p.sort_values(["calendar_year", "calendar_quarter"])
                               ["calendar_label"]))
    wide = pd.DataFrame({
        "ticker": p["ticker"], "calendar_label": p["calendar_label"],
        "quarter_label": p["quarter_label"],
        "own": (p["ticker"] == ticker).map({True: 3.5, False: 1.5}),
        "comparable_src": p["comparable_source"], "capex_src": p["capex_source"],
        "reported_basis": p["capex_metric"].map(lambda m: "as reported: "
                                                + _title(m).split(":")[0]),
        **{name: p[m + s] / (1e9 if s == "_usd" else 1)
           for (m, s), name in PEER_MEASURES.items()}})
    comparable = "indexof(datum.measure, 'Comparable') == 0"
    source = (f"indexof(datum.measure, 'USD') < 0 ? 'computed by the kit from the quarterly "
              f"rows' : {comparable} ? datum.comparable_src : datum.capex_src")
    names = list(PEER_MEASURES.values())
    measure = alt.param(name="measure", value=names[0],
                        bind=alt.binding_select(options=names, name="Show: "))
    pick = alt.selection_point(fields=["ticker"], bind="legend", name="company")
    return alt.Chart(wide).transform_fold(names, as_=["measure", "value"]).transform_filter(
        alt.datum.measure == measure).transform_filter("isValid(datum.value)").transform_calculate(
        basis=f"{comparable} ? 'comparable' : datum.reported_basis", source=source).mark_line(
        point=True).encode(
        x=alt.X("calendar_label:N", sort=order, title="Calendar quarter"),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("ticker:N", title="Company"),
        strokeWidth=alt.StrokeWidth("own:Q", legend=None),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
        tooltip=[alt.Tooltip("ticker:N", title="Company"),
                 alt.Tooltip("calendar_label:N", title="Calendar quarter"),
                 alt.Tooltip("quarter_label:N", title="Company's quarter"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=",.2f"),
                 alt.Tooltip("basis:N", title="Basis"),
                 alt.Tooltip("source:N", title="Source")],
    ).add_params(measure, pick).properties(
        title="Peers on the same calendar quarters (choose the measure; comparable first)")
