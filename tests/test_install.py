"""The kit installed the way a user installs a library, and the nbconvert route.

The wheel is built from this checkout and installed into a fresh virtual environment; its
dependencies come from the test environment's site-packages (a path file, so the run needs no
network), never the checkout itself. Everything then runs from a temporary folder.
"""

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kit import __version__, paths

pytestmark = pytest.mark.slow
SEED = ("META", "2024-04-25")  # the release after which Meta raised its 2024 outlook to $35-40B


def _run(argv, cwd, env, ok=True):
    res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert res.returncode == 0, f"{argv}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the built wheel installed; a clean home folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
          "-w", str(tmp / "dist"), str(paths.CHECKOUT)], tmp, os.environ)
    wheel = next((tmp / "dist").glob("ai_capex_kit-*.whl"))
    env_dir = tmp / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     tmp, os.environ).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
          str(wheel)], tmp, os.environ)
    home = tmp / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_", "JUPYTER", "XDG_"))}
    env.update(HOME=str(home), PATH=f"{env_dir / 'bin'}:{env['PATH']}", PYTHONNOUSERSITE="1")
    work = tmp / "work"
    work.mkdir()
    return env_dir, env, work, site


def test_the_wheel_carries_the_notebooks_data_and_template_and_not_the_checkout(installed):
    env_dir, env, work, site = installed
    res = _run([str(env_dir / "bin" / "python"), "-c",
                "import kit, kit.paths as p; print(kit.__file__); print(p.IN_CHECKOUT);"
                "print(p.notebook()); print(p.data_dir())"], work, env)
    kit_file, in_checkout, notebook, data = res.stdout.split()
    assert kit_file.startswith(str(site)) and in_checkout == "False"
    assert Path(notebook).is_file() and (Path(data) / "companies.csv").is_file()
    assert Path(data).is_relative_to(site)
    assert (env_dir / "share/jupyter/voila/templates/kit/index.html.j2").is_file()
    assert list((site / "kit" / "vega").glob("vega-bundle-*.js"))  # prebuilt, not built again
    # the German catalog, compiled when the wheel was built, and used from it
    assert (site / "kit" / "locale" / "de" / "LC_MESSAGES" / "kit.mo").is_file()
    res = _run([str(env_dir / "bin" / "python"), "-c", "from kit import i18n; "
                "i18n.use_language('de'); print(i18n._('Quarter'), i18n.usd_bn(6.715e9))"],
               work, env)
    assert res.stdout.strip() == "Quartal 6,72\xa0Mrd.\xa0$"


def test_version_from_the_command_and_the_module(installed):
    env_dir, env, work, _ = installed
    for argv in ([str(env_dir / "bin" / "kit"), "--version"],
                 [str(env_dir / "bin" / "python"), "-m", "kit", "--version"]):
        assert _run(argv, work, env).stdout.strip() == f"kit {__version__}"


def test_the_installed_kit_renders_the_seed_briefing_from_any_folder(installed):
    env_dir, env, work, _ = installed
    res = _run([str(env_dir / "bin" / "kit"), "render", *SEED[:1], "--as-of", SEED[1],
                "--no-progress"], work, env)
    html = work / "reports" / f"{SEED[0]}-{SEED[1]}.html"
    assert res.stdout.strip().endswith(f"reports/{html.name}") and html.is_file()
    soup = BeautifulSoup(html.read_text(), "html.parser")
    assert len(soup.select("div.chart")) == 7
    assert "$35–40 billion" in soup.select_one("table.headline").get_text()  # the seed story
    assert "Warning" not in res.stderr and "TCP" not in res.stderr  # no kernel chatter


def test_a_bad_ticker_is_refused_before_any_kernel_starts(installed):
    env_dir, env, work, _ = installed
    res = _run([str(env_dir / "bin" / "kit"), "render", "METAA"], work, env, ok=False)
    assert res.returncode == 2 and "METAA" in res.stderr
    assert "Traceback" not in res.stderr and not (work / "reports" / "METAA").exists()


def test_built_data_goes_to_the_user_data_folder_never_into_the_package(installed):
    env_dir, env, work, site = installed
    shipped = {p: p.read_bytes() for p in (site / "kit" / "_shipped").rglob("*") if p.is_file()}
    sources = paths.CHECKOUT.parent / "shared" / "sources"
    _run([str(env_dir / "bin" / "kit"), "data", "build", "--sources", str(sources)], work, env)
    user = Path(env["HOME"]) / ".local" / "share" / "ai-capex-kit" / "data"
    assert (user / "companies.csv").is_file() and (user / ".kit-data").is_file()
    res = _run([str(env_dir / "bin" / "python"), "-c",
                "import kit.paths as p; print(p.data_dir())"], work, env)
    assert Path(res.stdout.strip()) == user  # what the kit reads from now on
    env_data = {**env, "KIT_DATA_DIR": str(Path(res.stdout.strip()).parent / "elsewhere")}
    res = _run([str(env_dir / "bin" / "python"), "-c",
                "import kit.paths as p; print(p.data_dir())"], work, env_data)
    assert res.stdout.strip().endswith("elsewhere")  # KIT_DATA_DIR still wins
    after = {p: p.read_bytes() for p in (site / "kit" / "_shipped").rglob("*") if p.is_file()}
    assert after == shipped  # the installed package is never written


def test_papermill_then_nbconvert_to_kit_gives_the_page_kit_render_writes(tmp_path):
    env = {**os.environ}
    bin_ = Path(sys.executable).parent
    _run([str(bin_ / "kit"), "render", SEED[0], "--as-of", SEED[1], "--no-progress",
          "--out", "rendered"], tmp_path, env)
    _run([str(bin_ / "papermill"), "--no-progress-bar", str(paths.notebook()), "run.ipynb",
          "-p", "ticker", SEED[0], "-p", "as_of", SEED[1]], tmp_path, env)
    _run([str(bin_ / "jupyter"), "nbconvert", "--to", "kit", "run.ipynb"], tmp_path, env)
    expected = (tmp_path / "rendered" / f"{SEED[0]}-{SEED[1]}.html").read_bytes()
    # the same page, but for the render fingerprint only `kit render` knows and records
    unstamped = re.sub(rb'<meta name="kit-fingerprint" content="[0-9a-f]{64}">'
                       rb'|<meta name="kit-content-sha256" content="[0-9a-f]{64}">'
                       rb'|<footer class="meta"><p>Render fingerprint .*?</footer>', b"", expected)
    assert unstamped != expected
    assert (tmp_path / "run.html").read_bytes() == unstamped
    # and the notebook `kit render` keeps beside its page converts to the same page
    _run([str(bin_ / "jupyter"), "nbconvert", "--to", "kit", "--output-dir", "again",
          f"rendered/{SEED[0]}-{SEED[1]}.ipynb"], tmp_path, env)
    assert (tmp_path / "again" / f"{SEED[0]}-{SEED[1]}.html").read_bytes() == expected


def test_the_exporter_is_registered_with_nbconvert():
    from nbconvert.exporters import get_exporter

    from kit.exporter import KitExporter

    exporter = get_exporter("kit")
    assert exporter is KitExporter
    assert exporter.export_from_notebook == "Kit" and exporter().file_extension == ".html"
