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
    bars, band = _layers(spec)
    assert bars["mark"]["type"] == "bar"
    assert band["mark"]["type"] == "rect"
    rows = spec["datasets"][bars["data"]["name"]]
    assert {r["component"] for r in rows} == {"Purchases of property and equipment",
                                              "Principal payments on finance leases"}
    band_rows = spec["datasets"][band["data"]["name"]]
    assert {r["high_bn"] * 4 for r in band_rows} == {seed.current_outlook["high_usd"] / 1e9}


def test_capex_chart_tooltip_names_the_source(seed):
    spec = charts.capex_chart(seed.quarters).to_dict()
    tooltip = {t["field"] for t in spec["encoding"]["tooltip"]}
    assert {"quarter_label", "usd_bn", "source"} <= tooltip
    rows = spec["datasets"][spec["data"]["name"]]
    assert all(r["source"] for r in rows)


def test_chart_data_keeps_only_the_columns_drawn(seed):
    spec = charts.capex_chart(seed.quarters).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert set(rows[0]) == {"period_end_date", "quarter_label", "component", "usd", "source",
                            "usd_bn"}


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
    order = spec["encoding"]["x"]["sort"]
    known = latest.quarters.dropna(subset=["capex_usd"])
    assert order[0] == known["quarter_label"].iloc[0]
    assert order == list(latest.quarters["quarter_label"])[-len(order):]


def test_intensity_chart_keeps_quarters_in_time_order_when_a_measure_starts_late():
    import kit
    b = kit.load_briefing("ORCL")  # revenue only for recent quarters, growth for many
    spec = kit.intensity_chart(b.quarters).to_dict()
    order = spec["encoding"]["x"]["sort"]
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
