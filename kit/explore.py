"""A live workbench for JupyterLab (or Voilà): pick companies, a metric, an alignment and a
period range; an interactive chart and a styled table follow; one button renders a company's
briefing.

The chart is Altair's JupyterChart in offline mode (Vega from vl-convert, not a CDN): hover
tooltips, and its "…" menu saves SVG or PNG in the browser, so nothing is drawn in the kernel
until someone asks. The CSV is made on request too.
"""

from __future__ import annotations

import base64
import os
import time
from html import escape
from pathlib import Path

import altair as alt
import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display

from kit import charts, data, i18n, metrics, paths, periods, render
from kit.errors import KernelError, OutputError
from kit.i18n import N_, _

METRICS = {
    "capex": N_("Capex as the company reports it (USD bn)"),
    "capex_incl_finance_leases": N_("Comparable capex: purchases + finance-lease principal "
                                    "(USD bn)"),
    "capex_ttm": N_("Capex, trailing four quarters (USD bn)"),
    "capex_yoy": N_("Capex growth, year over year (%)"),
    "capex_to_revenue": N_("Capex as a share of revenue (%)"),
    "guidance_mid": N_("Full-year capex outlook for the quarter's fiscal year, midpoint "
                       "(USD bn)"),
    "operating_cash_flow": N_("Operating cash flow (USD bn)"),
    "fcf_after_capex": N_("Free cash flow after capex as reported: operating cash flow minus "
                          "capex (USD bn)"),
    "capex_to_ocf": N_("Capex as reported as a share of operating cash flow (%)"),
    "depreciation": N_("Depreciation and amortization (USD bn)"),
    "backlog": N_("Backlog: remaining performance obligations at the quarter's end (USD bn)"),
}
ALIGNMENTS = {"calendar": N_("Calendar quarters"), "fiscal": N_("Fiscal quarters")}
CSV_COLUMNS = ["ticker", "metric", "value", "quarter_label", "fiscal_label", "calendar_label",
               "source"]  # what the CSV download holds (the sort keys stay inside)
DEFAULT_COMPANIES = 4  # the largest spenders, by their latest trailing four quarters
TABLE_STYLE = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px; margin: .5em 0"},
    {"selector": "th", "props": "background: #f5f5f7; padding: 4px 10px; text-align: left; "
                                "border-bottom: 1px solid #ccc"},
    {"selector": "td", "props": "padding: 4px 10px; text-align: right; border-bottom: 1px "
                                "solid #eee; font-variant-numeric: tabular-nums"},
    {"selector": "tbody tr:hover", "props": "background: #f0f4fa"},
]


def explorer_frame(as_of=None) -> pd.DataFrame:
    """Every metric of every company by quarter, tidy: ticker, fiscal and calendar labels and
    sort keys, metric, value, source. Computed once; the widgets only filter it."""
    frames = []
    for c in data.load_companies().itertuples():
        try:
            ticker, day = metrics.check_request(c.ticker, as_of)
        except metrics.RequestError:
            continue  # nothing public for this company yet on `as_of`
        q = metrics.quarterly(ticker, day, c.capex_metric)
        f = metrics.funding(q, c.capex_metric)
        g = metrics.guidance_history(ticker, day)
        mid = {}
        for fy, grp in g.groupby("fiscal_year"):  # the latest full-year outlook for each year
            last = grp.iloc[-1]
            mid[fy] = ((last["low_usd"] + last["high_usd"]) / 2e9,
                       " | ".join(url for _kind, url in last["sources"]))
        computed = _("computed by the kit from the quarterly rows")
        values = {
            "capex": (q["capex_usd"] / 1e9, q.get(f"{c.capex_metric}_source")),
            "capex_incl_finance_leases": (
                q.get("capex_incl_finance_leases_usd", pd.Series(float("nan"), q.index)) / 1e9,
                q.get("capex_incl_finance_leases_source")),
            "capex_ttm": (q["capex_ttm_usd"] / 1e9, computed),
            "capex_yoy": (q["capex_yoy_pct"], computed),
            "capex_to_revenue": (q["capex_to_revenue_pct"], computed),
            "guidance_mid": ([mid.get(y, (None, ""))[0] for y in q["fiscal_year"]],
                             [mid.get(y, (None, ""))[1] for y in q["fiscal_year"]]),
            "operating_cash_flow": (q["operating_cash_flow_usd"] / 1e9,
                                    q["operating_cash_flow_source"]),
            "fcf_after_capex": (f["fcf_capex_usd"].to_numpy() / 1e9, computed),
            "capex_to_ocf": (f["capex_to_ocf_pct"].to_numpy(), computed),
            "depreciation": (q["depreciation_and_amortization_usd"] / 1e9,
                             q["depreciation_and_amortization_source"]),
            "backlog": (q["remaining_performance_obligations_usd"] / 1e9,
                        q["remaining_performance_obligations_source"]),
        }
        for metric, (value, source) in values.items():
            value = pd.to_numeric(pd.Series(value, index=q.index), errors="coerce")
            frames.append(pd.DataFrame({
                "ticker": ticker, "metric": metric, "value": value,
                "source": (source if source is not None else "") if value.notna().any() else "",
                "fiscal_key": q["fiscal_year"] * 4 + q["fiscal_quarter"] - 1,
                "fiscal_label": [periods.label(y, n) for y, n in
                                 zip(q["fiscal_year"], q["fiscal_quarter"])],
                "calendar_key": q["calendar_year"] * 4 + q["calendar_quarter"] - 1,
                "calendar_label": [periods.label(y, n, "CY") for y, n in
                                   zip(q["calendar_year"], q["calendar_quarter"])],
                "quarter_label": q["quarter_label"]}))
    return pd.concat(frames, ignore_index=True)


def largest_spenders(frame: pd.DataFrame) -> list[str]:
    """Tickers by their latest trailing-four-quarter capex as each reports it, largest first
    (an ordering for the default selection, not a comparison: the bases differ)."""
    ttm = frame[(frame["metric"] == "capex_ttm")].dropna(subset=["value"])
    latest = ttm.sort_values("calendar_key").groupby("ticker")["value"].last()
    rest = sorted(set(frame["ticker"]) - set(latest.index))
    return latest.sort_values(ascending=False).index.tolist() + rest


class Explorer:
    """The widgets and what they show. `Explorer().show()` in a notebook; in Python, set a
    widget's value and read `selection()`, `spec()`, `table()` or `csv()`.

    `out_dir` is where "Render briefing" writes: by default `reports/` at the top of a
    checkout when the notebook runs inside it, else `reports/` beside the notebook. `lang`
    is the language of the widgets, the chart and the briefings it renders; the Language
    drop-down changes it."""

    def __init__(self, as_of=None, frame: pd.DataFrame | None = None,
                 out_dir: Path | str | None = None, lang: str | None = None):
        self.as_of = as_of
        i18n.use_language(lang or i18n.current())
        self.frame = explorer_frame(as_of) if frame is None else frame
        self.out_dir = Path(out_dir) if out_dir else _default_reports()
        tickers = largest_spenders(self.frame)
        self.language = w.Dropdown(options=[(_language_name(code), code)
                                            for code in i18n.languages()],
                                   value=i18n.current(),
                                   layout=w.Layout(width="100%", max_width="240px"))
        self.companies = w.SelectMultiple(options=tickers,
                                          value=tuple(tickers[:DEFAULT_COMPANIES]), rows=9)
        self.metric = w.Dropdown(options=[(_(v), k) for k, v in METRICS.items()], value="capex",
                                 layout=w.Layout(width="100%", max_width="520px"))
        self.alignment = w.ToggleButtons(options=[(_(v), k) for k, v in ALIGNMENTS.items()],
                                         value="calendar")
        self.period = w.SelectionRangeSlider(options=["-"], layout=w.Layout(
            width="100%", max_width="520px"))
        self.status = w.HTML()  # an error while updating, in words
        self._set_period_options()
        charts.offline()  # Vega from vl-convert, inlined: no CDN (kept in the cache)
        self.chart = alt.JupyterChart(self._chart(), embed_options=charts.EMBED_OPTIONS)
        self.table_view = w.HTML()
        self.csv_button = w.Button(icon="download")
        self.downloads = w.HTML()
        self.briefing_for = w.Dropdown()
        self.render_button = w.Button(icon="file-text", button_style="primary")
        self._describe()
        self.render_log = w.Output()  # papermill's progress bar
        self.render_result = w.Output()  # the link, as notebook HTML that JupyterLab resolves
        for widget, name in ((self.companies, "kit-companies"), (self.chart, "kit-chart"),
                             (self.table_view, "kit-table"), (self.render_button, "kit-render"),
                             (self.csv_button, "kit-csv"), (self.render_result, "kit-result")):
            widget.add_class(name)
        for widget in (self.period, self.companies, self.metric):
            widget.observe(self._on_change, "value")
        self.alignment.observe(self._on_alignment, "value")
        self.language.observe(self._on_language, "value")
        self.csv_button.on_click(self.offer_csv)
        self.render_button.on_click(self.render_briefing)
        self.update()

    # --- what is shown -------------------------------------------------------------------

    def _describe(self) -> None:
        """The widgets' words in the current language."""
        self.language.description = _("Language")
        self.companies.description = _("Companies")
        self.metric.description = _("Metric")
        self.alignment.description = _("Align on")
        self.period.description = _("Quarters")
        self.csv_button.description = _("Table as CSV")
        self.briefing_for.description = _("Briefing for")
        self.render_button.description = _("Render briefing")

    def _on_language(self, change) -> None:
        """Everything again in the chosen language: words, labels, numbers, dates."""
        i18n.use_language(change.new)
        keys = self._range()
        self.frame = explorer_frame(self.as_of)
        self._quiet = True
        try:
            self.metric.options = [(_(v), k) for k, v in METRICS.items()]
            self.alignment.options = [(_(v), k) for k, v in ALIGNMENTS.items()]
        finally:
            self._quiet = False
        self._describe()
        self._set_period_options(keys)
        self.update()

    def _axis(self) -> tuple[str, str]:
        return f"{self.alignment.value}_key", f"{self.alignment.value}_label"

    def _labels(self) -> pd.Series:
        """Every quarter label of the current alignment, in order, indexed by its key."""
        key, label = self._axis()
        return self.frame.drop_duplicates(key).set_index(key).sort_index()[label]

    def _set_period_options(self, keys: tuple[int, int] | None = None) -> None:
        labels = self._labels()
        lo, hi = keys or (labels.index[0], labels.index[-1])
        inside = [i for i, k in enumerate(labels.index) if lo <= k <= hi] or [0, len(labels) - 1]
        self._quiet = True  # one update for the whole change, by the caller
        try:
            self.period.options = labels.tolist()
            self.period.index = (inside[0], inside[-1])
        finally:
            self._quiet = False

    def _range(self) -> tuple[int, int]:
        keys = self._labels()
        lo, hi = self.period.value
        return keys.index[keys.eq(lo)][0], keys.index[keys.eq(hi)][0]

    def quarters(self) -> list[str]:
        """The labels of every quarter in the chosen range, with or without data."""
        lo, hi = self._range()
        labels = self._labels()
        return labels[(labels.index >= lo) & (labels.index <= hi)].tolist()

    def selection(self) -> pd.DataFrame:
        """The rows the widgets select: chosen companies and metric, within the period. A
        quarter a company reports without this metric keeps its row, with no value."""
        key, _label = self._axis()
        lo, hi = self._range()
        f = self.frame
        f = f[f["ticker"].isin(self.companies.value) & (f["metric"] == self.metric.value)
              & f[key].between(lo, hi)]
        return f.sort_values([key, "ticker"])

    def _chart(self) -> alt.Chart:
        key, label = self._axis()
        sel = self.selection()
        title = _(METRICS[self.metric.value])
        if sel["value"].isna().all():
            return charts.empty_chart(_("{title}: not in the sources for this selection")
                                      .format(title=title))
        x = alt.X(f"{label}:N", title=_(ALIGNMENTS[self.alignment.value]),
                  scale=alt.Scale(domain=self.quarters()))  # quarters without data stay, empty
        chart = alt.Chart(sel[["ticker", label, "value", "quarter_label", "source"]]).mark_line(
            point=True, invalid="break-paths-show-domains").encode(
            x=x, y=alt.Y("value:Q", title=title),
            color=alt.Color("ticker:N", title=_("Company"),
                            scale=charts.company_scale(self.companies.value)),
            tooltip=[alt.Tooltip("ticker:N", title=_("Company")),
                     alt.Tooltip("quarter_label:N", title=_("Quarter")),
                     alt.Tooltip("value:Q", title=title, format=",.2f"),
                     alt.Tooltip("source:N", title=_("Source"))]).properties(
            title=alt.Title(charts.lines(title, 34)),  # two short lines: a phone's width too
            # in Voila (a phone too) as wide as its box; JupyterLab sizes that box only
            # after the chart is drawn, so there it keeps the theme's width
            width="container" if "VOILA_KERNEL_ID" in os.environ else charts.WIDTH)
        locale = charts.localized({}).get("config", {}).get("locale")
        return chart.configure(locale=locale) if locale else chart

    def spec(self) -> dict:
        """The Vega-Lite spec of the chart for the current selection."""
        return self.chart.chart.to_dict()

    def table(self) -> pd.DataFrame:
        """Quarters down (every quarter of the range), companies across; a missing value
        stays missing."""
        _key, label = self._axis()
        sel = self.selection()
        wide = sel.pivot_table(index=label, columns="ticker", values="value", aggfunc="first",
                               dropna=False)
        wide = wide.reindex(index=self.quarters(),
                            columns=[t for t in self.companies.value if t in set(sel["ticker"])])
        return wide.rename_axis(index=_(ALIGNMENTS[self.alignment.value]), columns=None)

    def styled_table(self):
        """The table as shown: two decimals, "missing" in red italics where a value is."""
        pct = self.metric.value in ("capex_yoy", "capex_to_revenue")
        return (self.table().style
                .format(lambda v: i18n.pct(v, signed=False) if pct else i18n.number(v),
                        na_rep=_("missing"))
                .map(lambda v: "color: #b00020; font-style: italic" if pd.isna(v) else "")
                .set_table_styles(TABLE_STYLE).set_table_attributes('class="kit-table"'))

    def csv(self) -> str:
        """The selection as CSV, with the documented columns only."""
        return self.selection()[CSV_COLUMNS].to_csv(index=False)

    def update(self) -> None:
        """Redraw the chart and the table for the widgets' values; an error is shown, not
        raised into the widget's callback."""
        try:
            chart = self._chart()
            self.chart.chart = chart
            self.last_spec, self.spec_ready_at = self.chart.spec, time.perf_counter()
            table = self.table()
            self.table_view.value = (self.styled_table().to_html() if table.size
                                     else "<p>" + escape(_("No values.")) + "</p>")
            self.downloads.value = ""  # a CSV offered earlier is stale now
            chosen = list(self.companies.value)
            self.briefing_for.options = chosen
            if chosen and self.briefing_for.value not in chosen:
                self.briefing_for.value = chosen[0]
            self.status.value = ""
        except Exception as err:  # noqa: BLE001 - shown to the user instead of a lost traceback
            self.status.value = ('<span style="color:#b00020">'
                                 + escape(_("Could not update the view:"))
                                 + f" {escape(type(err).__name__)}: {escape(str(err))}</span>")

    def _on_change(self, change) -> None:
        if not self._quiet:
            self.update()

    def _on_alignment(self, change) -> None:
        """Keep the same quarters: the range becomes the other alignment's labels of the
        quarters that were in view (for the chosen companies)."""
        old = f"{change.old}_key"
        key, _label = self._axis()
        lo, hi = self.period.value
        old_labels = self.frame.drop_duplicates(old).set_index(f"{change.old}_label")[old]
        f = self.frame
        if self.companies.value:
            f = f[f["ticker"].isin(self.companies.value)]
        inside = f[f[old].between(old_labels[lo], old_labels[hi])]
        self._set_period_options((inside[key].min(), inside[key].max()) if len(inside)
                                 else None)
        self.update()

    def offer_csv(self, button=None) -> None:
        """Make the CSV of the selection now and offer it as a download link."""
        b64 = base64.b64encode(self.csv().encode()).decode()
        self.downloads.value = (f'<a download="kit-explorer.csv" '
                                f'href="data:text/csv;base64,{b64}">'
                                + escape(_("Save kit-explorer.csv")) + "</a> "
                                + escape(_("({rows} rows)").format(rows=len(self.selection()))))

    # --- rendering a briefing ------------------------------------------------------------

    def render_briefing(self, button=None) -> None:
        """Render the chosen company's briefing as `kit render` does, showing papermill's
        progress bar, then a link to the HTML (or the error)."""
        self.render_log.clear_output()
        self.render_result.clear_output()
        ticker = self.briefing_for.value
        if not ticker:
            self._result(escape(_("Choose a company first.")))
            return
        self._result(escape(_("Rendering the {ticker} briefing…").format(ticker=ticker)))
        self.render_button.disabled = True
        try:
            with self.render_log:
                path = render.render_briefing(ticker, self.as_of, self.out_dir,
                                              lang=i18n.current())
        except (render.RenderError, metrics.RequestError, OutputError, KernelError) as err:
            self._result("<b>" + escape(_("Failed:")) + f"</b> {escape(str(err))}")
            return
        finally:
            self.render_button.disabled = False
        self._result(self.written(path))

    def written(self, path: Path) -> str:
        """What the explorer says of a briefing it wrote, as HTML: in JupyterLab a link that
        opens it in a tab and the one step to trust it; in Voilà, which serves no HTML files,
        a link that saves it (the page works offline as it is)."""
        if "VOILA_KERNEL_ID" in os.environ:  # set by Voilà in the kernels it starts
            b64 = base64.b64encode(path.read_bytes()).decode()
            return _("Briefing written on the server: {path}. {link}: one file that opens in "
                     "any browser, offline, with its charts.").format(
                path=escape(str(path)),
                link=f'<a download="{escape(path.name)}" href="data:text/html;base64,{b64}">'
                     + escape(_("Save {name}").format(name=path.name)) + "</a>")
        href = escape(Path(os.path.relpath(path, Path.cwd())).as_posix())
        return _(
            'Briefing written: {link} ({path}). In JupyterLab it opens in a tab: click '
            "<b>Trust HTML</b> in that tab's toolbar to draw the charts (a browser opening the "
            "file directly draws them at once).").format(
            link=f'<a href="{href}" target="_blank">{escape(path.name)}</a>',
            path=escape(str(path)))

    def _result(self, html: str) -> None:
        self.result_html = html  # shown as notebook HTML, whose relative links JupyterLab opens
        self.render_result.clear_output()
        with self.render_result:
            display(HTML(html))

    def show(self):
        wrap = w.Layout(flex_flow="row wrap", max_width="100%")  # a narrow screen: rows
        controls = w.HBox([self.companies, w.VBox([self.metric, self.alignment, self.period,
                                                   self.language],
                                                  layout=w.Layout(max_width="100%"))],
                          layout=wrap)
        briefing = w.HBox([self.briefing_for, self.render_button], layout=wrap)
        return w.VBox([controls, self.status, self.chart, self.table_view,
                       w.HBox([self.csv_button, self.downloads]), briefing, self.render_log,
                       self.render_result])


def _language_name(code: str) -> str:
    """"English", "Deutsch": each language in its own words (Babel)."""
    from babel import Locale

    return Locale.parse(code).get_display_name(code).capitalize()


def _default_reports() -> Path:
    cwd = Path.cwd().resolve()
    if paths.IN_CHECKOUT and cwd.is_relative_to(paths.CHECKOUT):
        return paths.CHECKOUT / "reports"
    return cwd / "reports"
