"""Chart builders: pure functions DataFrame -> alt.Chart, no I/O.

Charts carry only the columns they draw (small specs), and tooltips with value, period and
source. Sizes, fonts, colours and legends are one Altair theme, `kit`, registered and enabled
here: a fixed width that reads well in a notebook; the kit's HTML export widens every chart to
the page (kit.html). `use_briefing_renderer()` makes notebook outputs carry the Vega-Lite
spec, which the export embeds, and in JupyterLab an interactive chart (Altair's JupyterChart,
offline) with tooltips and the peer chart's drop-down.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys

import pandas as pd

from kit import i18n, periods
from kit.i18n import N_, _
from kit.metrics import METRIC_NAMES, fiscal_year_label, metric_name, outlook_text, quarter_label
from kit.schema import COMPARABLE, SUMS

# jsonschema, which altair imports, imports rfc3987_syntax when it is installed (Jupyter
# Server's dependencies install it) for an "iri" format check nothing here uses; building its
# grammar is about 1.5 s of a fresh kernel's Run All. It is held off while altair loads, and
# importable again after (kit.kernels skips it for good in the kernels the kit starts).
_HELD = [name for name in ("rfc3987_syntax",) if name not in sys.modules]
sys.modules.update(dict.fromkeys(_HELD))
try:
    import altair as alt
finally:
    for name in _HELD:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
# vega-embed in JupyterLab: SVG, and a menu that saves SVG or PNG in the browser (no links
# to the online editor)
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False,
                                                 "compiled": False, "editor": False}}
WIDTH, HEIGHT = 720, 260  # pixels, in a notebook; the export uses the page's width
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac", "#eeca3b", "#17becf", "#8c6d31", "#637939", "#7b4173"]
# The parts of a capex figure: one colour each and their place in a stack, whatever their
# label in the page's language.
COMPONENT_COLORS = {"purchases_of_property_and_equipment": "#4c78a8",
                    "finance_lease_principal_payments": "#f58518",
                    "capex_incl_finance_leases": "#4c78a8", "ocf_minus_free_cash_flow": "#4c78a8",
                    "capex_incl_finance_lease_additions": "#e45756"}
COMPARABLE_LINE, QUOTED_MARK = "#54a24b", "#e45756"


def lines(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken between words (a chart title
    that fits a phone's screen; Vega draws a list as lines)."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def company_colors(tickers=None) -> dict[str, str]:
    """Each company's colour, the same in every chart, the explorer and every language: by
    its place among the companies the kit covers (kit.data's companies table), so that a
    company keeps it whichever others a chart shows. `tickers`: those wanted, in order."""
    from kit import data

    known = list(data.load_companies()["ticker"])
    colors = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(known)}
    wanted = known if tickers is None else list(dict.fromkeys(tickers))
    return {t: colors.get(t, PALETTE[(len(known) + i) % len(PALETTE)])
            for i, t in enumerate(wanted)}


def company_scale(tickers) -> alt.Scale:
    """A colour scale of `tickers` in their company colours (company_colors)."""
    colors = company_colors(tickers)
    return alt.Scale(domain=list(colors), range=list(colors.values()))


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
    bundle = {VEGALITE_MIME: page_spec(spec)}
    if not os.environ.get("KIT_EXPORT"):
        bundle.update(interactive(spec))
    return bundle


def page_spec(spec: dict) -> dict:
    """The spec as a page embeds it: a missing value as null (kernel messages and pages are
    strict JSON), numbers and dates in the current language (localized)."""
    return localized(finite(spec))


def localized(spec: dict) -> dict:
    """The spec with the current language's number and date formats (Vega's
    `config.locale`), so axes and tooltips write numbers as the tables do; English as is."""
    if i18n.current() == i18n.SOURCE:
        return spec
    return {**spec, "config": {**spec.get("config", {}), "locale": i18n.d3_locale()}}


def interactive(spec: dict) -> dict:
    """The mimebundle of an offline JupyterChart widget showing `spec`."""
    data = widget(spec)._repr_mimebundle_()
    return data[0] if isinstance(data, tuple) else data


def widget(spec: dict) -> alt.JupyterChart:
    """An offline JupyterChart of `spec`, its missing values (NaN) sent as null: a widget's
    state is strict JSON, and a NaN fails its serialization in JupyterLab.

    The widget is given the spec as it is, not an Altair chart rebuilt from it: rebuilding and
    validating it again took 0.07-0.17 s a chart in every interactive run. It then keeps no
    Python copy of the chart's parameters and selections (`.params`, `.selections`), which the
    kit never reads; in the browser, drop-downs, tooltips and selections work as before."""
    offline()
    chart = alt.JupyterChart(None, embed_options=EMBED_OPTIONS)  # None: sets no spec
    chart.spec = finite(spec)
    return chart


def offline() -> None:
    """Altair's JupyterChart offline (Vega from vl-convert, not a CDN). Its script is built by
    vl-convert in over a second, in every new kernel: the kit keeps it in its cache, per
    Altair and vl-convert version, and gives it to JupyterChart as `enable_offline` would,
    wrapped so that a page compiles it once however many charts it shows (`once`)."""
    chart = alt.JupyterChart
    if chart._is_offline:
        return
    import vl_convert

    from kit.paths import cache_dir
    path = cache_dir() / f"jupyterchart-{alt.__version__}-vl-convert-{vl_convert.__version__}.js"
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        chart.enable_offline()
        source = chart._esm
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.write_text(source, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only slower
    chart._esm, chart._is_offline = once(source), True


def once(module: str) -> str:
    """An ES module that exports what `module` (its source) exports by default, compiling it
    once per page. anywidget imports each widget's script anew; the chart script is 0.9 MB,
    whose compiling took 60-140 ms a chart in Chromium, and this one is a string to it."""
    key = hashlib.sha256(module.encode()).hexdigest()[:16]
    return (f"const key = Symbol.for('ai-capex-kit.module.{key}');\n"
            f"globalThis[key] ??= import(URL.createObjectURL(new Blob([{json.dumps(module)}], "
            "{type: 'text/javascript'})));\n"
            "export default (await globalThis[key]).default;\n")


def finite(value):
    """`value` (a spec) with every NaN or infinite number replaced by None."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


alt.renderers.register("kit", _renderer)


def use_briefing_renderer() -> None:
    """Display charts so that `kit render` can export them offline."""
    alt.renderers.enable("kit")


def empty_chart(message: str) -> alt.Chart:
    """A chart-sized note, for a section whose data the sources do not have."""
    return alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14).encode(
        text="text:N").properties(height=60)


def known_span(quarters: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of `quarters` from the first to the last with `column` known (all of them
    when none is)."""
    known = quarters[column].notna()
    if not known.any():
        return quarters
    return quarters[(known.cumsum() > 0) & (known[::-1].cumsum()[::-1] > 0)]


def quarter_domain(quarters: pd.DataFrame) -> list[str]:
    """Every quarter's label from the first to the last of `quarters` (one company's, with
    fiscal and calendar year and quarter), also those the data has no row for: on an axis
    with this domain a missing quarter stays a gap, not a neighbour of the next one."""
    if quarters.empty:
        return []
    key = quarters["fiscal_year"] * 4 + quarters["fiscal_quarter"] - 1
    shift = int((quarters["calendar_year"] * 4 + quarters["calendar_quarter"] - 1 - key).iloc[-1])
    known = dict(zip(key, quarters["quarter_label"]))
    return [known.get(k) or quarter_label(k // 4, k % 4 + 1, (k + shift) // 4,
                                          (k + shift) % 4 + 1)
            for k in range(int(key.min()), int(key.max()) + 1)]


def gaps(domain: list[str], have: set, what: str, y: str) -> alt.Chart | None:
    """A grey cross on the axis for each quarter of `domain` not in `have`, its tooltip
    naming the quarter and that `what` is not in the sources for it (None: no gap)."""
    missing = [label for label in domain if label not in have]
    if not missing:
        return None
    rows = pd.DataFrame({"quarter_label": missing, y: 0.0,
                         "note": _("{what}: not in the sources").format(what=what)})
    return alt.Chart(rows).mark_point(shape="cross", color="#999", size=40).encode(
        x=alt.X("quarter_label:N", sort=domain), y=f"{y}:Q",
        tooltip=[alt.Tooltip("quarter_label:N", title=_("Quarter")),
                 alt.Tooltip("note:N", title=_("Missing"))])


def capex_chart(quarters: pd.DataFrame, outlook: dict | None = None,
                capex_metric: str = COMPARABLE) -> alt.Chart:
    """Quarterly capex as the company reports it, stacked by component where it has parts;
    the comparable measure as a line where it differs; and the current full-year outlook
    divided by four as a band, only when the outlook is on one of the drawn bases."""
    parts = [f"{m}_usd" for m in SUMS.get(capex_metric, (capex_metric,))]  # stacked parts
    parts = [c for c in parts if c in quarters and quarters[c].notna().any()]
    if not parts:
        return empty_chart(_("No {metric} figures in the sources.").format(
            metric=_title(capex_metric)))
    # leading quarters without the headline figure would look like zero capex; the axis
    # ends with the last figure
    quarters = known_span(quarters, "capex_usd")
    order = quarter_domain(quarters)
    # Only quarters with the whole figure: a part alone would look like all of the capex.
    long = quarters[quarters["capex_usd"].notna()].melt(
        id_vars=["period_end_date", "quarter_label"], value_vars=parts,
        var_name="component", value_name="usd").dropna(subset=["usd"])
    sources = quarters.melt(id_vars=["period_end_date"],  # the document, in a few words
                            value_vars=[c.replace("_usd", "_brief") for c in parts],
                            var_name="component", value_name="source")
    sources["component"] = sources["component"].str.replace("_brief", "_usd")
    long = long.merge(sources, on=["period_end_date", "component"])
    keys = [c[:-4] for c in parts]
    long["stack"] = long["component"].map(lambda c: keys.index(c[:-4]))  # fixed stack order
    long["component"] = long["component"].map(lambda c: _title(c[:-4]))
    long["usd_bn"] = long["usd"] / 1e9
    long["total_bn"] = long["period_end_date"].map(  # the quarter's whole figure
        quarters.set_index("period_end_date")["capex_usd"]) / 1e9
    comparable = quarters.dropna(subset=["comparable_usd"]) if "comparable_usd" in quarters \
        else quarters.iloc[0:0]
    quoted = "capex_incl_finance_lease_additions"  # a company's own quoted total, where given
    show_comparable = capex_metric != COMPARABLE and not comparable.empty
    show_quoted = f"{quoted}_usd" in quarters and quarters[f"{quoted}_usd"].notna().any()
    comparable_name = _("Comparable capex (purchases + finance-lease principal)")
    quoted_name = _("As the company quotes it, including finance leases")
    # one colour per component, whatever its label in the page's language
    legend = {_title(k): COMPONENT_COLORS.get(k, PALETTE[0]) for k in keys}
    if show_comparable:
        legend[comparable_name] = COMPARABLE_LINE
    if show_quoted:
        legend[quoted_name] = QUOTED_MARK
    color = alt.Color("component:N", title=None,
                      scale=alt.Scale(domain=list(legend), range=list(legend.values())))
    tip = _amount_tooltip()
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("quarter_label:N", sort=order, title=_("Quarter (period end)"),
                scale=alt.Scale(domain=order)),  # a quarter without a figure stays a gap
        y=alt.Y("sum(usd_bn):Q", title=_("USD billions")),
        color=color, order=alt.Order("stack:Q"),
        tooltip=[*tip[:3],
                 alt.Tooltip("total_bn:Q", title=_("Quarter's total, USD bn"), format=",.3f"),
                 tip[3]],
    )
    layers = [bars]
    drawn = {capex_metric}
    if show_comparable:
        drawn.add(COMPARABLE)
        layers.append(_overlay(comparable, COMPARABLE, comparable_name, order, color,
                               alt.Chart.mark_line, point=True, strokeDash=[4, 2]))
    if show_quoted:
        layers.append(_overlay(quarters.dropna(subset=[f"{quoted}_usd"]), quoted, quoted_name,
                               order, color, alt.Chart.mark_point, filled=True, size=70,
                               shape="diamond"))
    if outlook is not None and outlook.get("basis") in drawn \
            and pd.notna(outlook.get("low_usd")) and pd.notna(outlook.get("high_usd")):
        year = quarters[quarters["fiscal_year"] == outlook["fiscal_year"]]
        if not year.empty:
            band = pd.DataFrame({
                "quarter_label": year["quarter_label"],
                "low_bn": outlook["low_usd"] / 4e9, "high_bn": outlook["high_usd"] / 4e9,
                "guidance": _("{year} outlook {outlook} (given {date}; basis: {basis}), per "
                              "quarter").format(year=fiscal_year_label(outlook["fiscal_year"]),
                                                outlook=outlook["text"],
                                                date=i18n.date(outlook["given_date"]),
                                                basis=_title(outlook["basis"])),
            })
            layers.append(alt.Chart(band).mark_rect(opacity=0.35, color="#666").encode(
                x=alt.X("quarter_label:N", sort=order), y="low_bn:Q", y2="high_bn:Q",
                tooltip=[alt.Tooltip("guidance:N", title=_("Guidance"))]))
    missing = gaps(order, set(long["quarter_label"]), _title(capex_metric), "usd_bn")
    if missing is not None:
        layers.append(missing)
    chart = alt.layer(*layers) if len(layers) > 1 else bars
    # the measure as a subtitle: with it in the title, a long (German) name is cut off
    return chart.properties(title=alt.Title(_("Capital expenditures by quarter, as reported"),
                                            subtitle=_title(capex_metric)))


def _reported_basis(metric: str) -> str:
    """A company's own capex measure as a chart's tooltip names it ("as reported: ...")."""
    return _("as reported: {metric}").format(metric=_title(metric).split(":")[0])


def _amount_tooltip() -> list:
    return [alt.Tooltip("quarter_label:N", title=_("Quarter")),
            alt.Tooltip("component:N", title=_("Metric")),
            alt.Tooltip("usd_bn:Q", title=_("USD bn"), format=",.3f"),
            alt.Tooltip("source:N", title=_("Source"))]


def _overlay(rows: pd.DataFrame, metric: str, name: str, order: list, color, mark, **style):
    """One more measure over the capex bars, in the same legend (`color`)."""
    data = pd.DataFrame({"quarter_label": rows["quarter_label"],
                         "usd_bn": rows[f"{metric}_usd"] / 1e9, "component": name,
                         "source": rows[f"{metric}_brief"]})
    return mark(alt.Chart(data), **style).encode(
        x=alt.X("quarter_label:N", sort=order), y="usd_bn:Q", color=color,
        tooltip=_amount_tooltip())


def _title(metric: str) -> str:
    return metric_name(metric) if metric in METRIC_NAMES else metric.replace("_", " ")


def intensity_chart(quarters: pd.DataFrame) -> alt.Chart:
    """Capex as a share of the same quarter's revenue."""
    return _pct_chart(quarters, "capex_to_revenue_pct", _("Capex as a share of revenue (%)"),
                      "#4c78a8")


def growth_chart(quarters: pd.DataFrame) -> alt.Chart:
    """Capex growth against the same fiscal quarter a year earlier."""
    return _pct_chart(quarters, "capex_yoy_pct", _("Capex growth, year over year (%)"),
                      "#f58518")


def _pct_chart(quarters: pd.DataFrame, column: str, title: str, color: str) -> alt.Chart:
    if quarters[column].isna().all():
        return empty_chart(_("{title}: not computable from the sources (a quarter missing).")
                           .format(title=title))
    span = known_span(quarters, column)
    domain = quarter_domain(span)
    q = pd.DataFrame({"quarter_label": span["quarter_label"], "pct": span[column],
                      "source": _("computed by the kit from the capex and revenue rows")})
    line = alt.Chart(q).mark_line(point=True, color=color,  # a missing value breaks the line
                                  invalid="break-paths-show-domains").encode(
        x=alt.X("quarter_label:N", sort=domain, title=_("Quarter"),
                scale=alt.Scale(domain=domain)),  # a quarter without a figure stays a gap
        y=alt.Y("pct:Q", title=_("percent")),
        tooltip=[alt.Tooltip("quarter_label:N", title=_("Quarter")),
                 alt.Tooltip("pct:Q", title=title, format=".1f"),
                 alt.Tooltip("source:N", title=_("Source"))],
    )
    missing = gaps(domain, set(q.dropna(subset=["pct"])["quarter_label"]), title, "pct")
    return (line if missing is None else alt.layer(line, missing)).properties(title=title)


def guidance_chart(guidance: pd.DataFrame, actuals: pd.DataFrame | None = None) -> alt.Chart | None:
    """Each full-year outlook over the date it was given, one color per fiscal year, and the
    actual total (a diamond at the year's end) where it is on the outlook's basis."""
    if guidance.empty:
        return None  # the section says so in one line (sections.guidance_html)
    g = guidance.assign(
        low_bn=guidance["low_usd"] / 1e9, high_bn=guidance["high_usd"] / 1e9,
        year=guidance["fiscal_year"].map(fiscal_year_label),
        outlook=[outlook_text(r) for r in guidance.to_dict("records")],
        basis=guidance["basis"].map(_title), change=guidance["change"].map(_),
        source=[" | ".join(f"{_(t)}: {u}" for t, u in s) for s in guidance["sources"]],
    )[["given_date", "low_bn", "high_bn", "year", "outlook", "basis", "change", "source"]]
    day = i18n.d3_date_format()
    tooltip = [alt.Tooltip("year:N", title=_("Year")),
               alt.Tooltip("given_date:T", title=_("Given"), format=day),
               alt.Tooltip("outlook:N", title=_("Outlook")),
               alt.Tooltip("basis:N", title=_("Basis")),
               alt.Tooltip("change:N", title=_("Change")),
               alt.Tooltip("source:N", title=_("Source"))]
    base = alt.Chart(g).encode(
        x=alt.X("given_date:T", title=_("Date given"), scale=alt.Scale(padding=30),
                axis=alt.Axis(format=day, labelAngle=-40)),  # with the year on every label
        color=alt.Color("year:N", title=_("Outlook for")), tooltip=tooltip)
    layers = [base.mark_rule(strokeWidth=6).encode(y=alt.Y("low_bn:Q", title=_("USD billions")),
                                                    y2="high_bn:Q"),
              base.mark_tick(thickness=2, size=18).encode(y="low_bn:Q"),
              base.mark_tick(thickness=2, size=18).encode(y="high_bn:Q")]
    years = set(guidance["fiscal_year"])
    if actuals is not None and not actuals[actuals["fiscal_year"].isin(years)].empty:
        a = actuals[actuals["fiscal_year"].isin(years)]
        a = pd.DataFrame({"year_end": a["period_end_date"], "actual_bn": a["actual_usd"] / 1e9,
                          "year": a["fiscal_year"].map(fiscal_year_label),
                          "verdict": a["verdict"], "basis": a["basis"].map(_title),
                          "source": _("sum of the four quarters in the table of quarters")})
        layers.append(alt.Chart(a).mark_point(shape="diamond", size=120, filled=True).encode(
            x="year_end:T", y="actual_bn:Q", color="year:N",
            tooltip=[alt.Tooltip("year:N", title=_("Actual for")),
                     alt.Tooltip("year_end:T", title=_("Year ended"), format=day),
                     alt.Tooltip("actual_bn:Q", title=_("USD bn"), format=",.2f"),
                     alt.Tooltip("basis:N", title=_("Basis")),
                     alt.Tooltip("verdict:N", title=_("Against the last outlook")),
                     alt.Tooltip("source:N", title=_("Source"))]))
    return alt.layer(*layers).properties(title=_("Capex outlook as given, and the actual on "
                                                 "its basis"))


def reaction_chart(reactions: pd.DataFrame) -> alt.Chart | None:
    """Stock move on the first session after each release, and the move in excess of QQQ."""
    if reactions.empty:
        return None  # the section says why in one line (sections.reactions_html)
    r = reactions.assign(quarter=[periods.label(y, q) for y, q in
                                  zip(reactions["fiscal_year"], reactions["fiscal_quarter"])])
    r["source"] = _("adjusted closes (prices); release date:") + " " + r["source_url"]
    long = r.melt(id_vars=["quarter", "release_date", "session_date", "source"],
                  value_vars=["move_pct", "excess_pct"], var_name="measure", value_name="pct")
    long["measure"] = long["measure"].map({"move_pct": _("Stock move"),
                                           "excess_pct": _("Move in excess of QQQ")})
    day = i18n.d3_date_format()
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("quarter:N", sort=None, title=_("Results for")),
        xOffset="measure:N",
        y=alt.Y("pct:Q", title=_("percent, close to close")),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("quarter:N", title=_("Results for")),
                 alt.Tooltip("release_date:T", title=_("Released"), format=day),
                 alt.Tooltip("session_date:T", title=_("Session"), format=day),
                 alt.Tooltip("measure:N", title=_("Measure")),
                 alt.Tooltip("pct:Q", title="%", format="+.1f"),
                 alt.Tooltip("source:N", title=_("Source"))],
    ).properties(title=_("Stock reaction on the first session after each release"))


def funding_chart(funding: pd.DataFrame, capex_metric: str) -> alt.Chart:
    """Operating cash flow, capex as reported (`capex_metric`, named in the tooltip) and
    depreciation and amortization by quarter (USD billions), each point with its quarter
    and source; free cash flow after capex is the gap between the first two. A gap where
    the sources have no figure."""
    series = {"ocf_usd": _("Operating cash flow"),
              "capex_usd": _("Capex as reported"),
              "da_usd": _("Depreciation and amortization")}
    f = funding[["quarter_label", *series, "ocf_source", "capex_source", "da_source"]]
    if f[list(series)].isna().all().all():
        return empty_chart(_("Cash flow and depreciation: not in the sources."))
    if f["ocf_usd"].isna().all():
        return empty_chart(_("Operating cash flow: not in the sources; capex and "
                             "depreciation are in the table of quarters."))
    order = quarter_domain(funding)
    long = pd.concat([pd.DataFrame({
        "quarter_label": f["quarter_label"], "measure": name, "bn": f[column] / 1e9,
        "basis": metric_name(capex_metric) if column == "capex_usd" else name,
        "source": f[column.replace("_usd", "_source")].fillna(_("not in the sources"))})
        for column, name in series.items()], ignore_index=True)
    return alt.Chart(long).mark_line(point=True, invalid="break-paths-show-domains").encode(
        x=alt.X("quarter_label:N", sort=order, title=_("Quarter"),
                scale=alt.Scale(domain=order)),  # a quarter without a figure stays a gap
        y=alt.Y("bn:Q", title=_("USD billions")),
        color=alt.Color("measure:N", sort=list(series.values()), title=None),
        tooltip=[alt.Tooltip("quarter_label:N", title=_("Quarter")),
                 alt.Tooltip("basis:N", title=_("Measure")),
                 alt.Tooltip("bn:Q", title=_("USD billions"), format=",.2f"),
                 alt.Tooltip("source:N", title=_("Source"))],
    ).properties(title=_("Operating cash flow against capex and depreciation"))


PEER_MEASURES = {  # the drop-down's options, the comparable measure first (the default)
    ("comparable", "_usd"): N_("Comparable capex, USD billions"),
    ("capex", "_usd"): N_("Capex as each company reports it, USD billions"),
    ("comparable", "_yoy_pct"): N_("Comparable capex growth, year over year (%)"),
    ("capex", "_yoy_pct"): N_("As-reported capex growth, year over year (%)"),
    ("comparable", "_to_revenue_pct"): N_("Comparable capex as a share of revenue (%)"),
    ("capex", "_to_revenue_pct"): N_("As-reported capex as a share of revenue (%)"),
}
PEER_UNITS = {"_usd": N_("USD billions"), "_yoy_pct": N_("change on the year-ago quarter (%)"),
              "_to_revenue_pct": N_("share of revenue (%)")}  # the y axis's title, by measure


def peer_chart(peers: pd.DataFrame, ticker: str) -> alt.Chart | None:
    """Every company on the same calendar quarters. A drop-down in the page (a Vega-Lite
    param, no kernel needed) picks the measure, the comparable one first, and the y axis's
    title follows it; clicking a legend entry highlights a company wherever it has a line
    (under a measure where it has none, nothing fades). The briefing's own company is drawn
    thicker. Every point's tooltip names its basis and source. None when no peer figure was
    public yet."""
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
        "reported_basis": p["capex_metric"].map(_reported_basis),
        **{f"m{i}": p[m + s] / (1e9 if s == "_usd" else 1)  # (a label may hold a ".")
           for i, (m, s) in enumerate(PEER_MEASURES)}})
    names = [_(name) for name in PEER_MEASURES.values()]

    def among(kind: str, part: int) -> str:  # is datum.measure one of these measures?
        chosen = [_(n) for k, n in PEER_MEASURES.items() if k[part] == kind]
        return f"indexof({json.dumps(chosen)}, datum.measure) >= 0"

    comparable = among("comparable", 0)
    source = (f"{among('_usd', 1)} ? ({comparable} ? datum.comparable_src : datum.capex_src) "
              f": {json.dumps(_('computed by the kit from the quarterly rows'))}")
    unit = {_(n): _(PEER_UNITS[k[1]]) for k, n in PEER_MEASURES.items()}
    measure = alt.param(name="measure", value=names[0],
                        bind=alt.binding_select(options=names, name=_("Show: ")))
    pick = alt.selection_point(fields=["ticker"], bind="legend", name="company")
    # A company picked in the legend fades the others only under a measure where it has a
    # line: picked on "as reported", Apple (no comparable figure) fades nothing on "comparable".
    picked = "length(data('company_store')) && vlSelectionTest('company_store', datum) ? 1 : 0"
    label = f"{json.dumps({f'm{i}': name for i, name in enumerate(names)})}[datum.key]"
    return alt.Chart(wide).transform_fold([f"m{i}" for i in range(len(names))],
                                          as_=["key", "value"]).transform_calculate(
        measure=label).transform_filter(
        alt.datum.measure == measure).transform_filter("isValid(datum.value)").transform_calculate(
        basis=f"{comparable} ? {json.dumps(_('comparable'))} : datum.reported_basis",
        source=source, picked=picked, said=(  # what a screen reader says of a point
            "datum.ticker + ', ' + datum.calendar_label + ': ' + format(datum.value, ',.2f') "
            "+ ' (' + datum.measure + ')'")).transform_joinaggregate(
        any_picked="max(picked)").mark_line(point=True).encode(
        x=alt.X("calendar_label:N", sort=order, title=_("Calendar quarter")),
        y=alt.Y("value:Q", title=None),  # the chart's title, on the left, follows the measure
        color=alt.Color("ticker:N", title=_("Company"),  # every company, whatever the measure
                        scale=company_scale(sorted(set(p["ticker"])))),
        strokeWidth=alt.StrokeWidth("own:Q", legend=None),
        opacity=alt.condition("!datum.any_picked || datum.picked", alt.value(1),
                              alt.value(0.15)),
        description="said:N",
        tooltip=[alt.Tooltip("ticker:N", title=_("Company")),
                 alt.Tooltip("calendar_label:N", title=_("Calendar quarter")),
                 alt.Tooltip("quarter_label:N", title=_("Company's quarter")),
                 alt.Tooltip("measure:N", title=_("Measure")),
                 alt.Tooltip("value:Q", title=_("Value"), format=",.2f"),
                 alt.Tooltip("basis:N", title=_("Basis")),
                 alt.Tooltip("source:N", title=_("Source"))],
    ).add_params(measure, pick).properties(title=alt.Title(  # as the y axis's title
        alt.ExprRef(f"{json.dumps(unit)}[measure]"), orient="left", anchor="middle",
        fontSize=12, offset=4))


OVERVIEW_QUARTERS = 12  # calendar quarters the index's chart shows, the latest last
OVERVIEW_MEASURES = {"comparable": N_("Comparable capex (purchases + finance-lease principal)"),
                     "capex": N_("Capex as each company reports it")}


def overview_totals(peers: pd.DataFrame) -> pd.DataFrame:
    """The group's capex by calendar quarter on each measure (capex = as reported,
    comparable): total_usd over the companies with a figure that quarter (`companies`), and
    ttm_usd, the four quarters to it of the companies that have all four (`ttm_companies`)
    — never a partial sum."""
    p = peers[peers["is_public"]]
    rows = []
    for name in OVERVIEW_MEASURES:
        have = p.dropna(subset=[f"{name}_usd"])
        key = have["calendar_year"] * 4 + have["calendar_quarter"]
        value = dict(zip(zip(have["ticker"], key), have[f"{name}_usd"]))
        for k in sorted(set(key)):
            now = have[key == k]
            whole = [t for t in sorted(now["ticker"])
                     if all((t, k - i) in value for i in range(4))]
            rows.append(dict(measure=name, calendar_label=now["calendar_label"].iloc[0],
                             total_usd=now[f"{name}_usd"].sum(),
                             companies=", ".join(sorted(now["ticker"])),
                             ttm_usd=sum(value[(t, k - i)] for t in whole for i in range(4))
                             if whole else float("nan"), ttm_companies=", ".join(whole)))
    return pd.DataFrame(rows, columns=["measure", "calendar_label", "total_usd", "companies",
                                       "ttm_usd", "ttm_companies"])


def overview_chart(peers: pd.DataFrame, totals: pd.DataFrame) -> alt.Chart | None:
    """Every company's capex by calendar quarter, stacked, comparable first and as each
    reports it by a drop-down in the page (a Vega-Lite param); each bar's tooltip gives the
    company's figure and basis, and the group's total for the quarter and over four quarters
    with the companies each covers (`totals`: overview_totals). The last OVERVIEW_QUARTERS
    calendar quarters; None without figures."""
    p = peers[peers["is_public"]]
    if p.empty:
        return None
    key = p["calendar_year"] * 4 + p["calendar_quarter"]
    p = p[key > key.max() - OVERVIEW_QUARTERS]
    # the group's figures, shown with every bar and as a mark on top of each stack
    totals = totals.assign(total_bn=totals["total_usd"] / 1e9, ttm_bn=totals["ttm_usd"] / 1e9,
                           measure=totals["measure"].map(lambda m: _(OVERVIEW_MEASURES[m])))
    group = ["total_bn", "companies", "ttm_bn", "ttm_companies"]
    frames = []
    for name, label in OVERVIEW_MEASURES.items():
        rows = p.dropna(subset=[f"{name}_usd"])
        basis = rows["capex_metric"].map(_reported_basis) if name == "capex" \
            else _("comparable")
        frames.append(rows[["ticker", "calendar_label", "quarter_label"]].assign(
            measure=_(label), bn=rows[f"{name}_usd"] / 1e9, basis=basis).merge(
            totals[["measure", "calendar_label", *group]], on=["measure", "calendar_label"]))
    data = pd.concat(frames, ignore_index=True)
    order = list(dict.fromkeys(p.sort_values(["calendar_year", "calendar_quarter"])
                               ["calendar_label"]))
    choices = [_(label) for label in OVERVIEW_MEASURES.values()]
    measure = alt.param(name="measure", value=choices[0],
                        bind=alt.binding_select(options=choices, name=_("Show: ")))
    x = alt.X("calendar_label:N", sort=order, title=_("Calendar quarter"),
              scale=alt.Scale(domain=order))
    group_tooltip = [
        alt.Tooltip("total_bn:Q", title=_("Group total, the quarter"), format=",.2f"),
        alt.Tooltip("companies:N", title=_("Companies in it")),
        alt.Tooltip("ttm_bn:Q", title=_("Group total, four quarters"), format=",.2f"),
        alt.Tooltip("ttm_companies:N", title=_("Companies with all four"))]
    bars = alt.Chart(data).transform_filter(alt.datum.measure == measure).mark_bar().encode(
        x=x, y=alt.Y("sum(bn):Q", title=_("USD billions, stacked by company")),
        color=alt.Color("ticker:N", title=_("Company"),
                        scale=company_scale(sorted(set(p["ticker"])))),
        order=alt.Order("ticker:N"),
        tooltip=[alt.Tooltip("ticker:N", title=_("Company")),
                 alt.Tooltip("calendar_label:N", title=_("Calendar quarter")),
                 alt.Tooltip("quarter_label:N", title=_("Company's quarter")),
                 alt.Tooltip("bn:Q", title=_("USD billions"), format=",.2f"),
                 alt.Tooltip("basis:N", title=_("Basis")), *group_tooltip])
    tops = totals.loc[totals["calendar_label"].isin(order), ["measure", "calendar_label", *group]]
    total = alt.Chart(tops).transform_filter(alt.datum.measure == measure).mark_tick(
        color="#1d1d1f", thickness=2).encode(x=x, y="total_bn:Q", tooltip=group_tooltip)
    return alt.layer(bars, total).add_params(measure).properties(
        title=_("Capex of every company by calendar quarter (choose the measure)"))
