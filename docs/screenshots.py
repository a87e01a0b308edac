"""Regenerate the README's pictures: one screenshot per page of `streamlit run app.py`, with the real offline model.

    python docs/screenshots.py            # writes docs/images/<page>.png

Drives Debian's Chromium (/usr/bin/chromium; never a downloaded browser) through Playwright, against the app on a
free loopback port, and waits for the app's own idle signal before each picture (no fixed pauses). Every page is
opened with multilingual-e5-small's real weights (`model=e5-small-offline`, converted on first use), not the demo
model, so the numbers in the pictures are real ones; the Scaling picture shows the bundled published runs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402
from tests.e2e.helpers import assert_no_traceback, open_tab, wait_until_idle  # noqa: E402

IMAGES = ROOT / "docs" / "images"
MODEL = "model=e5-small-offline"
# picture -> (page path and query, the text the picture starts at or None for the top, a tab to open or None)
SHOTS = {
    "home": ("home?" + MODEL, None, None),
    "substitutions": ("substitutions?" + MODEL + "&targets=de&targets=fr&text=The+cat+sat+on+the+mat.%0AShe+reads+"
                      "a+good+book+every+evening.", "Threshold inspector", None),
    "mixup": ("mixup?" + MODEL + "&targets=de", None, None),
    "scaling": ("scaling?" + MODEL, "More data for a language, or a bigger model?", None),
    "experiments": ("experiments?" + MODEL, None, None),
}
if (ROOT / "benchmarks" / "results" / "sib200-runs.csv").is_file():  # this tool's own SIB-200 runs, once committed
    SHOTS["scaling-own-runs"] = ("scaling?" + MODEL + "&sets=this+tool%27s+own+SIB-200+runs",
                                 "does SALT help, and more where data is scarce?", None)


def main(names: list[str]) -> None:
    """Take every picture, or only those `names` (e.g. `python docs/screenshots.py scaling-own-runs`)."""
    unknown = sorted(set(names) - set(SHOTS))
    if unknown:
        raise SystemExit(f"No picture called {', '.join(unknown)}; the pictures are {', '.join(SHOTS)}.")
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, streamlit_server(Path(folder) / "server.log") as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
        for name, (path, anchor, tab) in SHOTS.items():
            if names and name not in names:
                continue
            page.goto(f"{url}/{path}")
            wait_until_idle(page, 600_000)  # the first page converts the offline model (about a minute)
            if tab:
                open_tab(page, tab, 600_000)
            if anchor:
                page.get_by_text(anchor).first.evaluate("element => element.scrollIntoView({block: 'start'})")
                wait_until_idle(page, 600_000)
            assert_no_traceback(page)
            page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=False)
            print(f"wrote {IMAGES / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
