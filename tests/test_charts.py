import pytest

from kit import charts, metrics


@pytest.fixture(scope="module")
def seed():
    return metrics.load_briefing("META", "2024-04-25")


def _layers(spec):
    return spec.get("layer", [spec])


def test_capex_chart_stacks_components_and_shows_the_guidance_band(seed):
    spec = charts.capex_chart(seed.quarters, seed.current_outlook,
                              "capex_incl_finance_leases").to_dict()
    bars, band, *gaps = _layers(spec)
    assert bars["mark"]["type"] == "bar"
    assert band["mark"]["type"] == "rect"
    rows = spec["datasets"][bars["data"]["name"]]
    assert {r["component"] for r in rows} == {"Purchases of property and equipment",
                                              "Principal payments on finance leases"}
    band_rows = spec["datasets"][band["data"]["name"]]
    assert {r["high_bn"] * 4 for r in band_rows} == {seed.current_outlook["high_usd"] / 1e9}


def test_capex_chart_tooltip_names_the_source(seed):
    spec = charts.capex_chart(seed.quarters).to_dict()
    bars = _layers(spec)[0]
    tooltip = {t["field"] for t in bars["encoding"]["tooltip"]}
    assert {"quarter_label", "usd_bn", "source"} <= tooltip
    rows = spec["datasets"][bars["data"]["name"]]
    assert all(r["source"] for r in rows)


def test_chart_data_keeps_only_the_columns_drawn(seed):
    spec = charts.capex_chart(seed.quarters).to_dict()
    rows = spec["datasets"][_layers(spec)[0]["data"]["name"]]
    assert set(rows[0]) == {"period_end_date", "quarter_label", "component", "usd", "source",
                            "usd_bn", "stack", "total_bn"}


def test_a_missing_quarter_stays_a_gap_on_the_axis_and_is_named(seed):
    """Issue 29: Meta's capex is not in the sources for FY20 Q2 and Q3; the axis keeps them
    between FY20 Q1 and Q4, and a mark there says so in its tooltip."""
    spec = charts.capex_chart(seed.quarters, seed.current_outlook, seed.capex_metric).to_dict()
    bars, *rest = _layers(spec)
    domain = bars["encoding"]["x"]["scale"]["domain"]
    assert domain[:4] == ["FY20 Q1", "FY20 Q2", "FY20 Q3", "FY20 Q4"]
    drawn = {r["quarter_label"] for r in spec["datasets"][bars["data"]["name"]]}
    assert "FY20 Q2" not in drawn
    (gap,) = [layer for layer in rest if layer["mark"].get("shape") == "cross"]
    named = {r["quarter_label"]: r["note"] for r in spec["datasets"][gap["data"]["name"]]}
    assert {"FY20 Q2", "FY20 Q3"} <= set(named) and "not in the sources" in named["FY20 Q2"]
    growth = charts.growth_chart(seed.quarters).to_dict()
    line = _layers(growth)[0]
    assert line["mark"]["invalid"] == "break-paths-show-domains"  # no line across a gap
    assert line["encoding"]["x"]["scale"]["domain"] == charts.quarter_domain(
        seed.quarters[seed.quarters["capex_yoy_pct"].notna().cumsum() > 0])[
        :len(line["encoding"]["x"]["scale"]["domain"])]


def test_components_keep_their_colour_and_place_in_both_languages(seed):
    """Issue 29: the stacked parts of capex are coloured and stacked by what they are, not by
    their label, so the German chart matches the English one."""
    from kit import i18n

    def parts(lang):
        with i18n.language(lang):
            spec = charts.capex_chart(seed.quarters, seed.current_outlook,
                                      seed.capex_metric).to_dict()
        bars = _layers(spec)[0]
        scale = bars["encoding"]["color"]["scale"]
        rows = spec["datasets"][bars["data"]["name"]]
        stack = {r["component"]: r["stack"] for r in rows}
        return [(scale["range"][scale["domain"].index(name)], stack[name])
                for name in sorted(stack, key=stack.get)]

    assert parts("en") == parts("de") and len(parts("en")) == 2


def test_reaction_chart_has_raw_and_excess_moves(seed):
    spec = charts.reaction_chart(seed.reactions).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert {r["measure"] for r in rows} == {"Stock move", "Move in excess of QQQ"}
    assert len(rows) == 2 * len(seed.reactions)


def test_guidance_chart_has_one_range_per_outlook(seed):
    spec = charts.guidance_chart(seed.guidance).to_dict()
    first = spec["layer"][0]
    rows = spec["datasets"][first["data"]["name"]] if "data" in first else \
        spec["datasets"][spec["data"]["name"]]
    assert len(rows) == len(seed.guidance)


def test_briefing_renderer_carries_the_spec(seed):
    chart = charts.capex_chart(seed.quarters)
    bundle = charts._renderer(chart.to_dict())
    assert bundle[charts.VEGALITE_MIME]["$schema"].startswith("https://vega.github.io/schema/")


def test_capex_chart_orders_quarters_by_period_and_drops_leading_gaps():
    latest = metrics.load_briefing("META")
    spec = charts.capex_chart(latest.quarters).to_dict()
    order = _layers(spec)[0]["encoding"]["x"]["sort"]
    known = latest.quarters.dropna(subset=["capex_usd"])
    assert order[0] == known["quarter_label"].iloc[0]
    assert order == list(latest.quarters["quarter_label"])[-len(order):]


def test_intensity_chart_keeps_quarters_in_time_order_when_a_measure_starts_late():
    import kit
    b = kit.load_briefing("ORCL")  # revenue only for recent quarters, growth for many
    spec = kit.intensity_chart(b.quarters).to_dict()
    order = _layers(spec)[0]["encoding"]["x"]["sort"]
    ends = b.quarters.set_index("quarter_label").loc[order, "period_end_date"]
    assert ends.is_monotonic_increasing


def test_no_missing_value_reaches_a_widget_in_jupyterlab():
    """JupyterLab's interactive chart is a widget whose state must be strict JSON: a NaN in
    the data ("Message serialization failed: Out of range float values") is sent as null."""
    import json

    b = metrics.load_briefing("META")
    spec = charts.peer_chart(b.peers, "META").to_dict()
    assert "NaN" in json.dumps(spec)  # the peers without a comparable source
    state = charts.widget(spec).spec
    json.dumps(state, allow_nan=False)  # raises on NaN or infinity
    assert len(state["datasets"]) == len(spec["datasets"])


def test_jupyterchart_script_is_built_once_and_kept_in_the_cache(tmp_path, monkeypatch):
    """A new kernel's first chart in JupyterLab need not build Altair's offline script (over
    a second): the kit keeps the one vl-convert built, and gives back the same."""
    import altair as alt

    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", alt.JupyterChart._esm)
    charts.offline()
    built = alt.JupyterChart._esm
    (kept,) = tmp_path.glob("jupyterchart-*.js")
    assert charts.once(kept.read_text(encoding="utf-8")) == built and len(built) > 100_000
    alt.JupyterChart._is_offline, alt.JupyterChart._esm = False, ""
    charts.offline()  # a new kernel: read back, not built
    assert alt.JupyterChart._is_offline and alt.JupyterChart._esm == built


def test_each_company_has_one_colour_in_every_chart_option_language_and_the_explorer(seed):
    """Issue 29: the peer chart's colours are fixed by company (a scale over every company,
    whatever the drop-down filters out), the same in German, and the explorer uses them."""
    from kit import i18n
    from kit.explore import Explorer, explorer_frame

    def peer_colors(lang):
        with i18n.language(lang):
            spec = charts.peer_chart(seed.peers, "META").to_dict()
        scale = spec["encoding"]["color"]["scale"]
        return dict(zip(scale["domain"], scale["range"]))

    colors = peer_colors("en")
    assert colors == peer_colors("de")
    assert set(colors) == set(seed.peers.loc[seed.peers["is_public"], "ticker"])
    assert colors == {t: c for t, c in charts.company_colors().items() if t in colors}
    assert len(set(colors.values())) == len(colors)  # no two companies share one
    ex = Explorer(frame=explorer_frame("2024-04-25"))
    ex.companies.value = ("NVDA", "META")
    scale = ex.spec()["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"])) == {t: colors[t] for t in ("NVDA", "META")}
