"""A live workbench for JupyterLab: pick companies, a metric, an alignment and a period range;
a chart and a table follow, both downloadable; one button renders a company's briefing.

The chart is drawn to SVG by vl-convert in the kernel, so it needs no JavaScript from the
network: the explorer works offline, like the exported briefings.
"""

from __future__ import annotations

import base64
import io
import time
from html import escape

import altair as alt
import ipywidgets as w
import pandas as pd
import vl_convert

from kit import data, metrics, render
from kit.errors import KernelError, OutputError

METRICS = {
    "capex": "Capex as the company reports it (USD bn)",
    "capex_incl_finance_leases": "Comparable capex: purchases + finance-lease principal (USD bn)",
    "capex_ttm": "Capex, trailing four quarters (USD bn)",
    "capex_yoy": "Capex growth, year over year (%)",
    "capex_to_revenue": "Capex as a share of revenue (%)",
    "guidance_mid": "Full-year capex outlook for the quarter's fiscal year, midpoint (USD bn)",
}
ALIGNMENTS = {"calendar": "Calendar quarters", "fiscal": "Fiscal quarters"}


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
        g = metrics.guidance_history(ticker, day)
        mid = {}
        for fy, grp in g.groupby("fiscal_year"):  # the latest full-year outlook for each year
            last = grp.iloc[-1]
            mid[fy] = ((last["low_usd"] + last["high_usd"]) / 2e9,
                       " | ".join(url for _, url in last["sources"]))
        computed = "computed by the kit from the quarterly rows"
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
        }
        for metric, (value, source) in values.items():
            frames.append(pd.DataFrame({
                "ticker": ticker, "metric": metric,
                "value": pd.to_numeric(pd.Series(value, index=q.index), errors="coerce"),
                "source": source if source is not None else "",
                "fiscal_key": q["fiscal_year"] * 4 + q["fiscal_quarter"] - 1,
                "fiscal_label": [f"FY{y % 100:02d} Q{n}" for y, n in
                                 zip(q["fiscal_year"], q["fiscal_quarter"])],
                "calendar_key": q["calendar_year"] * 4 + q["calendar_quarter"] - 1,
                "calendar_label": [f"CY{y % 100:02d} Q{n}" for y, n in
                                   zip(q["calendar_year"], q["calendar_quarter"])],
                "quarter_label": q["quarter_label"]}))
    return pd.concat(frames, ignore_index=True)


class Explorer:
    """The widgets and what they show. `Explorer().show()` in a notebook; in Python, set a
    widget's value and read `selection()`, `spec()` or `table()`."""

    def __init__(self, as_of=None, frame: pd.DataFrame | None = None):
        self.as_of = as_of
        self.frame = explorer_frame(as_of) if frame is None else frame
        tickers = sorted(self.frame["ticker"].unique())
        self.companies = w.SelectMultiple(options=tickers, value=tuple(tickers[:4]), rows=9,
                                          description="Companies")
        self.metric = w.Dropdown(options=[(v, k) for k, v in METRICS.items()], value="capex",
                                 description="Metric", layout=w.Layout(width="520px"))
        self.alignment = w.ToggleButtons(options=[(v, k) for k, v in ALIGNMENTS.items()],
                                         value="calendar", description="Align on")
        self.period = w.SelectionRangeSlider(options=["-"], description="Quarters",
                                             layout=w.Layout(width="520px"))
        self.chart = w.HTML()
        self.table_view = w.HTML()
        self.downloads = w.HTML()
        self.briefing_for = w.Dropdown(description="Briefing for")
        self.render_button = w.Button(description="Render briefing", icon="file-text",
                                      button_style="primary")
        self.render_log = w.Output()  # papermill's progress bar
        self.render_result = w.HTML()
        for widget, name in ((self.companies, "kit-companies"), (self.chart, "kit-chart"),
                             (self.table_view, "kit-table"), (self.render_button, "kit-render")):
            widget.add_class(name)
        self.period.observe(self._on_change, "value")
        self._set_period_options()
        self.companies.observe(self._on_change, "value")
        self.metric.observe(self._on_change, "value")
        self.alignment.observe(self._on_alignment, "value")
        self.render_button.on_click(self.render_briefing)
        self.update()

    # --- what is shown -------------------------------------------------------------------

    def _axis(self) -> tuple[str, str]:
        return f"{self.alignment.value}_key", f"{self.alignment.value}_label"

    def _set_period_options(self) -> None:
        key, label = self._axis()
        labels = self.frame.drop_duplicates(key).sort_values(key)[label].tolist()
        self.period.unobserve(self._on_change, "value")  # one update for the whole change
        self.period.options = labels
        self.period.index = (0, len(labels) - 1)
        self.period.observe(self._on_change, "value")

    def selection(self) -> pd.DataFrame:
        """The rows the widgets select: chosen companies and metric, within the period."""
        key, label = self._axis()
        f = self.frame
        lo, hi = self.period.value
        keys = f.drop_duplicates(label).set_index(label)[key]
        f = f[f["ticker"].isin(self.companies.value) & (f["metric"] == self.metric.value)
              & f[key].between(keys[lo], keys[hi])]
        return f.dropna(subset=["value"]).sort_values([key, "ticker"])

    def spec(self) -> dict:
        """The Vega-Lite spec of the chart for the current selection."""
        key, label = self._axis()
        sel = self.selection()
        order = sel.drop_duplicates(label).sort_values(key)[label].tolist()
        title = METRICS[self.metric.value]
        if sel.empty:
            chart = alt.Chart(pd.DataFrame({"t": [f"{title}: not in the sources for this "
                                                  "selection"]})).mark_text().encode(text="t:N")
            return chart.properties(width=700, height=60).to_dict()
        chart = alt.Chart(sel[["ticker", label, "value", "quarter_label", "source"]]).mark_line(
            point=True).encode(
            x=alt.X(f"{label}:N", sort=order, title=ALIGNMENTS[self.alignment.value]),
            y=alt.Y("value:Q", title=title),
            color=alt.Color("ticker:N", title="Company"),
            tooltip=[alt.Tooltip("ticker:N", title="Company"),
                     alt.Tooltip("quarter_label:N", title="Quarter"),
                     alt.Tooltip("value:Q", title=title, format=",.2f"),
                     alt.Tooltip("source:N", title="Source")])
        return chart.properties(width=700, height=320, title=title).to_dict()

    def table(self) -> pd.DataFrame:
        """Quarters down, companies across; a missing value stays missing."""
        key, label = self._axis()
        sel = self.selection()
        wide = sel.pivot_table(index=[key, label], columns="ticker", values="value",
                               aggfunc="first")
        return wide.droplevel(0).rename_axis(index=ALIGNMENTS[self.alignment.value],
                                             columns=None)

    def update(self) -> None:
        spec = self.spec()
        self.last_spec, self.spec_ready_at = spec, time.perf_counter()  # for bench/explorer.py
        svg = vl_convert.vegalite_to_svg(spec)
        self.chart.value = svg
        table = self.table()
        self.table_view.value = (
            table.to_html(float_format=lambda v: f"{v:,.2f}", na_rep="missing",
                          classes="kit-table") if not table.empty else "<p>No values.</p>")
        csv = io.StringIO()
        self.selection().to_csv(csv, index=False)
        png = vl_convert.vegalite_to_png(spec, scale=2)
        self.downloads.value = " · ".join([
            _download("Table as CSV", "kit-explorer.csv", "text/csv", csv.getvalue().encode()),
            _download("Chart as SVG", "kit-explorer.svg", "image/svg+xml", svg.encode()),
            _download("Chart as PNG", "kit-explorer.png", "image/png", png)])
        chosen = list(self.companies.value)
        self.briefing_for.options = chosen
        if chosen and self.briefing_for.value not in chosen:
            self.briefing_for.value = chosen[0]

    def _on_change(self, change) -> None:
        self.update()

    def _on_alignment(self, change) -> None:
        self._set_period_options()
        self.update()

    # --- rendering a briefing ------------------------------------------------------------

    def render_briefing(self, button=None) -> None:
        """Render the chosen company's briefing as `kit render` does, showing papermill's
        progress bar, then a link to the HTML (or the error)."""
        self.render_log.clear_output()
        ticker = self.briefing_for.value
        if not ticker:
            self.render_result.value = "Choose a company first."
            return
        self.render_result.value = f"Rendering the {ticker} briefing…"
        self.render_button.disabled = True
        try:
            with self.render_log:
                path = render.render_briefing(ticker, self.as_of, render.REPO / "reports")
        except (render.RenderError, metrics.RequestError, OutputError, KernelError) as err:
            self.render_result.value = f"<b>Failed:</b> {escape(str(err))}"
            return
        finally:
            self.render_button.disabled = False
        self.render_result.value = (f'Briefing written: <a href="{_relative(path)}" '
                                    f'target="_blank">{escape(path.name)}</a> '
                                    f"({escape(str(path))})")

    def show(self):
        controls = w.VBox([w.HBox([self.companies, w.VBox([self.metric, self.alignment,
                                                            self.period])]),
                           self.downloads])
        briefing = w.HBox([self.briefing_for, self.render_button])
        return w.VBox([controls, self.chart, self.table_view, briefing, self.render_log,
                       self.render_result])


def _download(text: str, name: str, mime: str, content: bytes) -> str:
    b64 = base64.b64encode(content).decode()
    return f'<a download="{name}" href="data:{mime};base64,{b64}">{text}</a>'


def _relative(path) -> str:
    """The briefing's path as seen from notebooks/, for a link in JupyterLab."""
    try:
        return "../" + str(path.resolve().relative_to(render.REPO))
    except ValueError:
        return path.as_uri()
