"""`jupyter nbconvert --to kit`: the kit's export as an nbconvert exporter (the entry point
`kit`), in its own module so that `kit render` does not import nbconvert (0.7 s)."""

from __future__ import annotations

from nbconvert.exporters import Exporter

from kit.html import notebook_to_html


class KitExporter(Exporter):
    """`jupyter nbconvert --to kit NOTEBOOK`: the kit's offline HTML for any executed notebook
    (a briefing executed by papermill gives the page `kit render` writes)."""

    export_from_notebook = "Kit"  # the name in JupyterLab's Save and Export Notebook As menu
    output_mimetype = "text/html"

    def _file_extension_default(self):
        return ".html"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        name = (resources.get("metadata") or {}).get("name") or "notebook"
        return notebook_to_html(nb, fallback=name), resources
