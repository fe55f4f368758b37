"""`zhclean review` in a real browser: the seeds' page loads in Chromium with no console
error and no request beyond the page's own files, its filters work, a file page opens
from it, and a screenshot is kept as an artefact in target/ (not in git).

Needs Chromium (.ci/run installs Debian's `chromium`) and Playwright for Python
(python/test.sh installs it), which drives the system Chromium: no browser download."""

import os
import pathlib
import shutil
import subprocess

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]


def chromium():
    for name in ("chromium", "chromium-browser", "chromium-headless-shell"):
        exe = shutil.which(name)
        if exe:
            return exe
    raise AssertionError("Chromium is needed for this test: apt-get install chromium")


def test_the_seeds_review_loads_clean_and_its_filters_work(tmp_path):
    zh = os.environ["ZHCLEAN_BIN"]
    out = tmp_path / "out"
    subprocess.run([zh, "clean", str(ROOT / "fixtures/seeds"), "--out", str(out), "-q"], check=True)
    subprocess.run([zh, "review", str(out)], check=True)
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "review/index.html").as_uri())
        assert page.title() == "zhclean review"
        assert page.locator("section.cluster").count() == 21
        assert page.locator("#f-count").inner_text() == "21 of 21 clusters shown"
        # The first cluster is open: its kept and removed copies are side by side.
        first = page.locator("section.cluster").first
        assert first.locator("details").get_attribute("open") is not None
        assert first.locator(".pair").count() >= 1
        assert first.locator(".only-b").count() >= 1
        # Filters: documents only, then the least similar first.
        page.select_option("#f-level", "document")
        assert page.locator("#f-count").inner_text() == "1 of 21 clusters shown"
        assert page.locator("section.cluster:visible").count() == 1
        page.select_option("#f-level", "")
        page.fill("#f-file", "003_")
        shown = page.locator("section.cluster:visible").count()
        assert 0 < shown < 21
        page.fill("#f-file", "")
        page.select_option("#f-sort", "sim")
        sims = [float(s.get_attribute("data-sim")) for s in page.locator("section.cluster").all()]
        assert sims == sorted(sims)
        page.select_option("#f-sort", "size")
        page.screenshot(path=str(ROOT / "target/review-seeds.png"), full_page=True)
        # A file page: furniture struck through with its rule, links back.
        page.locator("table.files a").nth(1).click()
        page.wait_for_load_state()
        assert page.locator(".ln.rm").count() > 0
        assert "furniture" in page.locator(".ln.rm .why").first.inner_text()
        assert page.locator(".para").count() > 0
        page.screenshot(path=str(ROOT / "target/review-seeds-file.png"))
        browser.close()
    assert errors == []
    assert all(u.startswith("file:") for u in requests), requests
