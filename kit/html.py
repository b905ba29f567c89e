"""Export an executed notebook as one self-contained HTML file that works offline.

Code is left out; markdown, HTML and chart outputs are kept. The Vega, Vega-Lite and
Vega-Embed JavaScript (from vl-convert) is inlined once per document, every chart is drawn
from its embedded spec, and a Content-Security-Policy forbids loading anything from the
network. `kit render` uses `notebook_to_html`; nbconvert and JupyterLab's "Save and Export
Notebook As → Kit" use the same through `kit.exporter.KitExporter` (the
`nbconvert.exporters` entry point `kit`).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from functools import cache
from html import escape
from pathlib import Path

import mistune
import vl_convert

from kit import data, i18n
from kit.i18n import _
from kit.sections import SUMMARY_MIME

VEGALITE_MIMES = ("application/vnd.vegalite.v6+json", "application/vnd.vegalite.v5+json")
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'unsafe-inline'; img-src data:; font-src data:")

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
       overflow-wrap: break-word;
       max-width: 1000px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; font-size: .92em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f5f5f7; }
table.headline td:nth-child(2) { font-weight: 600; white-space: nowrap; }
table.headline td .meta { white-space: normal; }
.scroll { overflow-x: auto; max-width: 100%; }  /* a wide table scrolls in its own box */
td.num { white-space: nowrap; }  /* a figure never breaks inside */
:is(td, th) { hyphens: auto; overflow-wrap: break-word; }  /* long (German) words */
table.quarters td, table.sources td { font-size: .9em; }
.missing { color: #b00020; font-style: italic; }
.behind { background: #fff4e5; border-left: 4px solid #b45309; padding: .4em .7em; }
.basis { color: #555; font-size: .85em; }
.basis-switch > input { margin-left: 1em; } .basis-switch > label { margin-right: .5em; }
.basis-switch > div.basis { display: none; color: inherit; font-size: inherit; }
#peer-comparable:checked ~ div.comparable, #peer-reported:checked ~ div.reported { display: block; }
.chart { width: 100%; min-height: 120px; margin: 1em 0; overflow-x: auto; }
.chart.vega-embed { display: flex; flex-direction: column; }
.chart .vega-bindings { order: -1; margin: 0 0 .4em; }  /* a chart's drop-down above it */
#vg-tooltip-element { font-size: 13px; }  /* readable tooltips */
@media (max-width: 600px) { body { margin: 1em auto; padding: 0 .8em; font-size: 14px; } }
blockquote { margin: 0; padding: .2em .8em; border-left: 3px solid #8aa; }
.statements { list-style: none; padding: 0; } .statement { margin-bottom: 1em; }
.meta, .note, .translation, .as-of { color: #555; font-size: .9em; margin: .2em 0; }
a { color: #0645ad; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .5em; }
@media print {
  body { max-width: none; margin: 0; font-size: 11px; }
  details { display: block; } details > summary { display: none; }
  .basis-switch > div.basis { display: block; } .basis-switch > input, .basis-switch > label { display: none; }
  .chart, table, .statement { break-inside: avoid; }
  .scroll, .chart { overflow: visible; }
  a { color: inherit; }
}
"""

# On a narrow screen (a phone) a chart's legend goes below it in two columns and its title
# wraps into lines that fit, so that nothing is wider than the screen.
EMBED = """
function narrow(spec, width) {
  if (width >= 560) return spec;
  var s = JSON.parse(JSON.stringify(spec)), max = Math.max(18, Math.floor(width / 8.5));
  s.config = s.config || {};
  s.config.legend = Object.assign({}, s.config.legend, {orient: "bottom", columns: 2,
                                                        labelLimit: Math.floor(width / 2) - 30});
  var title = typeof s.title === "string" ? {text: s.title} : s.title;
  if (title && typeof title.text === "string") {
    var lines = [], line = "";
    title.text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > max) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    lines.push(line);
    s.title = Object.assign({}, title, {text: lines});
  }
  return s;
}
document.querySelectorAll("div.chart").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.id + "-spec").textContent);
  vegaEmbed(el, narrow(spec, el.clientWidth), {actions: false, renderer: "svg"})
    .catch(function (err) { el.textContent = %s + err; });
});
"""


# A click on the head of a column of a `table.sortable` sorts its rows by the cells'
# data-sort values, numbers as numbers and empty ones last; a second click reverses.
SORT = """document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.style.cursor = "pointer"; th.tabIndex = 0; th.setAttribute("aria-sort", "none");
    function sort() {
      var up = th.getAttribute("aria-sort") !== "ascending", body = table.tBodies[0];
      table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = (a.cells[column] || {}).dataset, y = (b.cells[column] || {}).dataset;
        x = x && x.sort !== undefined ? x.sort : ""; y = y && y.sort !== undefined ? y.sort : "";
        if (x === "" || y === "") return x === y ? 0 : (x === "" ? 1 : -1);
        var nx = Number(x), ny = Number(y), c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
});"""


# Printing (or saving as PDF) shows folded sections too.
PRINT = """window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});"""


SHIPPED = Path(__file__).parent / "vega"  # the prebuilt bundle (`python -m kit.html`)
_BUNDLE_LOCK = threading.Lock()
_builder: subprocess.Popen | None = None
# Build the bundle into a file, in a bare interpreter (only vl_convert imported).
_BUILD = """import os, sys, vl_convert
text = vl_convert.javascript_bundle().replace("</script", "<\\\\/script")
tmp = sys.argv[1] + f".{os.getpid()}"
with open(tmp, "w", encoding="utf-8") as f:
    f.write(text)
os.replace(tmp, sys.argv[1])
"""


def _bundle_path() -> Path:
    """The bundle the kit ships for its vl-convert version (kit/vega, made by
    `python -m kit.html`), else the one built into the kit's cache."""
    name = f"vega-bundle-{vl_convert.__version__}.js"
    return SHIPPED / name if (SHIPPED / name).is_file() else data.cache_dir() / name


def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script, defining window.vegaEmbed. Building it
    takes over a second, so it is built once per vl-convert version and kept in the kit's
    cache (kit.data.cache_dir); if the cache cannot be written it is built here."""
    with _BUNDLE_LOCK:
        return _bundle()


@cache
def _bundle() -> str:
    path = _bundle_path()
    if not path.is_file():
        prepare()
        _builder.wait()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return vl_convert.javascript_bundle().replace("</script", "<\\/script")


def prepare() -> None:
    """Start building the Vega bundle now, in another process, if it is not cached: it
    takes over a second of CPU that can overlap with the kernels' start."""
    global _builder
    path = _bundle_path()
    if _builder is None and not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        _builder = subprocess.Popen([sys.executable, "-c", _BUILD, str(path)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


CONTENT_HASH = '<meta name="kit-content-sha256" content="{}">'  # of the page, this left empty


def document(title: str, body: str, scripts: str = "", stamp: str = "") -> str:
    """A complete self-contained page in the current language: the kit's style, and a CSP
    that blocks the network. `stamp` (see `stamp`) goes first in the head, where a batch
    reads it back; a stamped page also carries the SHA-256 of its own text (computed with
    that field empty), so that a page cut short or edited is known (archive.damaged)."""
    page = (
        f'<!DOCTYPE html>\n<html lang="{i18n.current()}"><head><meta charset="utf-8">' + stamp +
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}{scripts}<script>{PRINT}</script></body></html>\n"
    )
    empty = CONTENT_HASH.format("")
    if empty not in page:
        return page
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    return page.replace(empty, CONTENT_HASH.format(digest), 1)


def page_wide(spec: dict) -> dict:
    """A chart made at the notebook's fixed width, as wide as the page instead."""
    return {**spec, "width": "container",
            "autosize": {"type": "fit-x", "contains": "padding", "resize": True}}


def notebook_to_html(nb, title: str | None = None, fallback: str | None = None) -> str:
    """The whole document for an executed notebook, without its code, in the language of
    its `lang` parameter. The title defaults to the one `kit render` gives a briefing, from
    the parameters papermill recorded (`fallback` without them)."""
    with i18n.language(_parameters(nb).get("lang") or i18n.current()):
        return _document(nb, title or notebook_title(nb, fallback))


def _parameters(nb) -> dict:
    return nb.get("metadata", {}).get("papermill", {}).get("parameters", {})


def _document(nb, title: str) -> str:
    body, charts = [], 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":  # in the notebook's language (kit render: already)
            body.append(mistune.html(_(cell.source)))
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                html, charts = _output_html(out, charts)
                body.append(html)
    scripts = chart_scripts() if charts else ""
    fingerprint = nb.get("metadata", {}).get("kit", {}).get("fingerprint")
    if fingerprint:
        body.append('<footer class="meta"><p>' + escape(_(
            "Render fingerprint {fingerprint} (notebook, kit code, parameters and the data "
            "visible on the briefing's date): `kit render` renders this page again only when "
            "it changes.").format(fingerprint=fingerprint)) + "</p></footer>")
    return document(title, "".join(body), scripts, stamp(fingerprint, _summary(nb)))


def chart_html(spec: dict, number: int) -> str:
    """A chart of a page: its `div.chart` and its spec, as wide as the page (chart_scripts
    draws it)."""
    text = json.dumps(page_wide(spec), separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    return (f'<div class="chart" id="chart-{number}"></div>'
            f'<script type="application/json" id="chart-{number}-spec">{text}</script>')


def chart_scripts() -> str:
    """The inlined Vega bundle and the script that draws every `div.chart` from its spec."""
    embed = EMBED % json.dumps(_("This chart could not be drawn: ")).replace("</", "<\\/")
    return f"<script>{vega_bundle()}</script><script>{embed}</script>"


def stamp(fingerprint: str | None, summary: dict | None) -> str:
    """The head elements a batch reads back (archive.read_stamp): the render fingerprint
    and the briefing's headline figures."""
    out = ""
    if fingerprint:
        out += f'<meta name="kit-fingerprint" content="{escape(fingerprint)}">'
        out += CONTENT_HASH.format("")  # filled in by `document`
    if summary:
        text = json.dumps(summary, sort_keys=True).replace("</", "<\\/")
        out += f'<script type="application/json" id="kit-summary">{text}</script>'
    return out


def _summary(nb) -> dict | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if SUMMARY_MIME in out.get("data", {}):
                return out["data"][SUMMARY_MIME]
    return None


def notebook_title(nb, fallback: str | None = None) -> str:
    """"META AI-infrastructure briefing as of 2024-04-25", in the current language."""
    params = _parameters(nb)
    if params.get("ticker"):
        if params.get("as_of"):
            return _("{ticker} AI-infrastructure briefing as of {date}").format(
                ticker=params["ticker"], date=i18n.date(params["as_of"]))
        return _("{ticker} AI-infrastructure briefing").format(ticker=params["ticker"])
    return fallback or _("AI-infrastructure briefing")


def _output_html(out, charts: int) -> tuple[str, int]:
    if out.output_type == "stream":
        return (f"<pre>{escape(out.text)}</pre>" if out.name == "stdout" else ""), charts
    if out.output_type == "error":
        return f"<pre>{escape(out.ename)}: {escape(out.evalue)}</pre>", charts
    data = out.get("data", {})
    for mime in VEGALITE_MIMES:
        if mime in data:
            return chart_html(data[mime], charts + 1), charts + 1
    if "text/html" in data:
        return data["text/html"], charts
    if "text/markdown" in data:
        return mistune.html(data["text/markdown"]), charts
    if "image/png" in data:
        return f'<img alt="" src="data:image/png;base64,{data["image/png"]}">', charts
    if "text/plain" in data:
        return f"<pre>{escape(data['text/plain'])}</pre>", charts
    return "", charts


if __name__ == "__main__":  # python -m kit.html: ship the bundle of the installed vl-convert
    for old in SHIPPED.glob("vega-bundle-*.js"):
        old.unlink()
    subprocess.run([sys.executable, "-c", _BUILD,
                    str(SHIPPED / f"vega-bundle-{vl_convert.__version__}.js")], check=True)
