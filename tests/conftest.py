"""Hypothesis profiles (SymPy's habit): "dev" for local runs, "ci" derandomized, no deadlines."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("dev", deadline=None, max_examples=50)
settings.register_profile(
    "ci", deadline=None, max_examples=50, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def one_thread():
    """One torch thread for tiny models: more threads only contend on a 2-core machine."""
    from numerics.train import threads

    with threads(1):
        yield


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def main_job(tmp_path_factory):
    """``python -m verify`` run once (quick presets) writing JSON, HTML and CSV: (completed process, files).

    Tests that use it carry ``@pytest.mark.xdist_group("main_job")`` so that under ``-n 2`` they share one
    worker (``--dist loadgroup``) and the job runs once.
    """
    out = tmp_path_factory.mktemp("main_job")
    files = {s: out / f"report{s}" for s in (".json", ".html", ".csv")}
    args = [sys.executable, "-m", "verify"] + [a for f in files.values() for a in ("--out", str(f))]
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=1800)
    return done, files


@pytest.fixture
def render():
    """Open an HTML file in headless Chromium (Playwright driving Debian's chromium); what the page shows."""
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: .ci/run installs Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (in the test extra)")

    def render(path: Path, png: Path | None = None) -> dict:
        """Open ``path`` in headless Chromium (Playwright with the system browser); what the page shows."""
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: errors.append(f"network request {r.url}")
                    if not r.url.startswith(("file:", "data:")) else None)
            page.goto(path.resolve().as_uri())
            shown = page.evaluate("""() => ({
                sections: [...document.querySelectorAll('section.claim')].map(s => s.id),
                series_per_figure: [...document.querySelectorAll('svg.figure')].map(
                    f => f.querySelectorAll('g.series').length),
                drawn_per_figure: [...document.querySelectorAll('svg.figure')].map(
                    f => f.querySelectorAll('g.series circle, g.series polyline, g.series polygon').length),
                width: [...document.querySelectorAll('svg.figure')].map(f => f.getBoundingClientRect().width),
            })""")
            if png is not None:
                page.screenshot(path=str(png), full_page=True)
            browser.close()
        shown["errors"] = errors
        assert all(w > 100 for w in shown["width"])
        return shown

    return render
