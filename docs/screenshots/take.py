"""Screenshots of the seed briefing, its German edition and both indexes at a desktop and a
phone width, offline, as JPEG files beside this script (issue 29).

    .venv/bin/python docs/screenshots/take.py      (needs Chromium and the test extras)
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PAGES = ["META-2024-04-25.html", "META-2024-04-25.de.html", "index.html", "index.de.html"]
WIDTHS = (1280, 390)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("en", "de", "en"):  # the last run writes the index linking both
            subprocess.run([sys.executable, "-m", "kit.cli", "render", "META", "MSFT",
                            "--as-of", "2024-04-25", "--lang", lang, "--out", tmp,
                            "--no-progress"], check=True, capture_output=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox"])
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith("file://") else route.abort())
                for name in PAGES:
                    page.goto((Path(tmp) / name).as_uri())
                    page.wait_for_function("[...document.querySelectorAll('div.chart')]"
                                           ".every(el => el.querySelector('svg'))")
                    target = HERE / f"{Path(name).stem}-{width}.jpg"
                    page.screenshot(path=str(target), full_page=True, type="jpeg", quality=60)
                    print(target.relative_to(HERE.parent.parent))
                page.close()
            browser.close()


if __name__ == "__main__":
    main()
