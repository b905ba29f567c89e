"""`jupyter nbconvert --to kit`: the kit's export as an nbconvert exporter (the entry point
`kit`), in its own module so that `kit render` does not import nbconvert (0.7 s).

A notebook the kit ran (its metadata holds `kit`, as `kit render` and the shipped briefing
write it) gets the briefing's page, byte for byte what `kit render` writes. Any other notebook
goes through nbconvert's HTMLExporter with the `kit` template (kit/templates/kit, extending
nbconvert's lab template), so every output nbconvert knows renders as `--to html` renders it,
made to work offline: images are inlined (nbconvert does it), math is MathML made here from
its LaTeX (latex2mathml) instead of MathJax from a CDN, Vega-Lite charts are drawn by the
inlined Vega bundle, and nothing is loaded from the network (a Content-Security-Policy)."""

from __future__ import annotations

import base64
import itertools
import json
from functools import cache
from html import escape
from pathlib import Path

from jinja2 import pass_context
from latex2mathml.converter import convert as _mathml
from nbconvert.exporters import Exporter, HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets import default

from kit import html

TEMPLATES = Path(__file__).parent / "templates"
WIDGETS = Path(__file__).parent / "widgets"  # @jupyter-widgets/html-manager (its README)


@cache  # 1.9 MB read and encoded once per process, not once per export
def widget_manager() -> str:
    """The widget manager that draws stored widget views offline, as a data: URL (inline,
    it cannot tell webpack where it was loaded from)."""
    (path,) = WIDGETS.glob("html-manager-*-embed.js")
    return "data:text/javascript;base64," + base64.b64encode(path.read_bytes()).decode()


def mathml(tex: str, display: bool = False) -> str:
    """MathML of a LaTeX formula, or the formula as text where latex2mathml cannot read it."""
    try:
        return _mathml(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula it cannot parse stays readable as TeX
        return f'<code class="tex">{escape(tex)}</code>'


class _MathRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with its math as MathML (it leaves TeX for MathJax)."""

    def block_math(self, body: str) -> str:
        return mathml(body, display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def inline_math(self, body: str) -> str:
        return mathml(body)


def latex_output(tex: str) -> str:
    """A text/latex output ($…$, $$…$$, \\[…\\] or an environment) as MathML."""
    text = tex.strip()
    for start, end, display in (("$$", "$$", True), ("\\[", "\\]", True), ("$", "$", False),
                                ("\\(", "\\)", False)):
        if text.startswith(start) and text.endswith(end) and len(text) > len(start + end):
            return mathml(text[len(start):-len(end)], display)
    return mathml(text, display=True)


class KitExporter(HTMLExporter):
    """`jupyter nbconvert --to kit NOTEBOOK`: one offline HTML file for any notebook (a
    briefing executed by papermill gives the page `kit render` writes)."""

    export_from_notebook = "Kit"  # the name in JupyterLab's Save and Export Notebook As menu

    def _template_name_default(self):
        return "kit"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):  # the kit's template beside nbconvert's
        return [str(TEMPLATES), *super()._default_extra_template_basedirs()]

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["kit_csp"] = html.CSP.replace("script-src ", "script-src data: ", 1).replace(
            "img-src data:", "img-src data: blob:", 1)  # the widget manager; Image widgets
        resources["kit_vegalite_mimes"] = html.VEGALITE_MIMES
        resources["kit_widget_manager"] = widget_manager()
        return resources

    def default_filters(self):
        yield from super().default_filters()
        yield ("latex_to_mathml", latex_output)
        yield ("vegalite_chart", self._chart)

    @property
    def default_config(self):  # Vega-Lite first, where a notebook has it
        c = super().default_config
        priority = c.NbConvertBase.display_data_priority
        c.NbConvertBase.display_data_priority = [*html.VEGALITE_MIMES, *priority]
        return c

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = _MathRenderer(
            escape=False, attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        if "kit" in nb.get("metadata", {}):  # a briefing: the kit's own page
            nb, resources = Exporter.from_notebook_node(self, nb, resources, **kw)
            name = (resources.get("metadata") or {}).get("name") or "notebook"
            return html.notebook_to_html(nb, fallback=name), resources
        self._chart_ids = itertools.count(1)  # chart-1, chart-2 … in each page
        page, resources = super().from_notebook_node(nb, resources, **kw)
        if 'class="chart kit-chart"' in page:  # the Vega bundle once, and the drawing
            page = page.replace("</body>", html.chart_scripts() + "</body>", 1)
        return page, resources

    def _chart(self, spec: dict) -> str:
        """A Vega-Lite output as the kit draws charts: a div and its spec."""
        cid = f"chart-{next(self._chart_ids)}"
        text = json.dumps(html.page_wide(spec), separators=(",", ":"), sort_keys=True)
        text = text.replace("</", "<\\/")
        return (f'<div class="chart kit-chart" id="{cid}"></div><script '
                f'type="application/json" id="{cid}-spec">{text}</script>')
