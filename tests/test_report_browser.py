"""The report as a planner sees it: rendered by headless Chromium, Chinese names in glyphs.

Chromium reports, per DOM node, the platform fonts that drew its text and how many glyphs
each drew (DevTools ``CSS.getPlatformFontsForNode``); a character no installed font covers
is drawn as an empty box by the last fallback font. The test asks that every CJK character
of the title and headings is drawn by a CJK font. Needs ``apt-get install chromium
fonts-noto-cjk`` and ``pip install playwright`` (.ci/run installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff]")


def test_report_title_and_headings_render_chinese_without_empty_boxes(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "run_sim.py", "scenario=storm", "experiment.replications=1",
         "experiment.executor=serial", f"hydra.run.dir={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto((out / "report.html").as_uri())
        # on a 1300 px window no table makes the page scroll sideways (long ids wrap)
        widths = page.evaluate(
            "() => [...document.querySelectorAll('table')].map(t => t.scrollWidth)"
        )
        assert widths and max(widths) <= page.evaluate("document.body.clientWidth"), widths
        assert page.title() == "璧山区 Bishan — storm"
        heads = page.locator("h1, h2, h3")
        texts = heads.all_inner_texts()
        assert texts[0] == "璧山区 Bishan — storm"  # text extraction returns the characters
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        # CJK characters in each element's own text nodes (what CSS.getPlatformFontsForNode covers)
        own = page.evaluate(
            """() => [...document.querySelectorAll('h1, h2, h3, td, li, summary')].map((el, i) => {
                el.dataset.glyphCheck = i;
                return [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
            })"""
        )
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        checked = 0
        for i, text in enumerate(own):
            n_cjk = len(CJK.findall(text))
            if not n_cjk:
                continue
            sel = f'[data-glyph-check="{i}"]'
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": sel})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            cjk_glyphs = sum(f["glyphCount"] for f in fonts if "CJK" in f["familyName"])
            assert cjk_glyphs >= n_cjk, (text[:80], fonts)
            checked += 1
        browser.close()
    assert checked >= 2  # the title and at least one target description
