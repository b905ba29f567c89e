import nbformat

from kit import html


def _notebook(*outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Heading"),
                nbformat.v4.new_code_cell("secret_code()", outputs=list(outputs))]
    return nb


def _chart_output(spec):
    return nbformat.v4.new_output("display_data", data={html.VEGALITE_MIMES[0]: spec})


def test_code_is_hidden_and_markdown_kept():
    doc = html.notebook_to_html(_notebook(), "t")
    assert "<h2>Heading</h2>" in doc and "secret_code" not in doc


def test_vega_is_inlined_once_for_many_charts():
    spec = {"mark": "bar", "data": {"values": [{"a": 1}]}}
    doc = html.notebook_to_html(_notebook(_chart_output(spec), _chart_output(spec)), "t")
    assert doc.count('class="chart"') == 2
    assert doc.count("window.vegaEmbed=") == 1


def test_no_external_resources_and_a_csp_that_forbids_them():
    doc = html.notebook_to_html(_notebook(_chart_output({"mark": "bar"})), "t")
    assert "default-src 'none'" in doc
    for attr in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert attr not in doc


def test_spec_text_cannot_close_its_script_tag():
    spec = {"mark": "bar", "title": "</script><script>alert(1)</script>"}
    doc = html.notebook_to_html(_notebook(_chart_output(spec)), "t")
    assert "</script><script>alert(1)" not in doc


def test_title_is_escaped():
    assert "<title>&lt;b&gt;</title>" in html.notebook_to_html(_notebook(), "<b>")


def test_the_shipped_vega_bundle_is_what_the_installed_vl_convert_builds(tmp_path,
                                                                         monkeypatch):
    import vl_convert

    from kit import html
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    html._bundle.cache_clear()
    try:
        text = html.vega_bundle()
        assert html._bundle_path().parent == html.SHIPPED  # no build, nothing cached
        assert text == vl_convert.javascript_bundle().replace("</script", "<\\/script")
        assert not list(tmp_path.iterdir())
    finally:
        html._bundle.cache_clear()


def test_the_vega_bundle_is_built_once_into_the_cache(tmp_path, monkeypatch):
    from kit import html
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(html, "SHIPPED", tmp_path / "none")  # another vl-convert version
    html._bundle.cache_clear()
    monkeypatch.setattr(html, "_builder", None)
    try:
        text = html.vega_bundle()
        cached = list(tmp_path.glob("vega-bundle-*.js"))
        assert len(cached) == 1 and cached[0].read_text(encoding="utf-8") == text
        assert "vegaEmbed" in text and "</script" not in text
    finally:
        html._bundle.cache_clear()
