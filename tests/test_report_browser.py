"""report.html in a real browser: headless Chromium (Debian's ``chromium``) renders the overview
picture, applies the ``#filter=failing`` fragment, and lays the page out without horizontal scroll
at 1,000 px. Skipped, with the reason, when no Chromium is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from kms_conformance.report import render
from report_samples import sample_report

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no Chromium: apt-get install chromium to run the browser tests")

#: Appended to the page: after the page's own script ran, write the layout width into the DOM.
_PROBE = ("<script>document.body.setAttribute('data-scroll-width', document.documentElement.scrollWidth);"
          "document.body.setAttribute('data-client-width', document.documentElement.clientWidth);</script>")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", "--window-size=1000,800", *args],
        capture_output=True, text=True, timeout=120, check=False)


def page_with_probe(tmp_path: Path, report_html: str) -> Path:
    path = tmp_path / "report.html"
    path.write_text(report_html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    return path


def dump(tmp_path: Path, url: str) -> str:
    out = chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", url)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _hidden_ids(dom: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r'<article [^>]*id="([^"]+)"[^>]*\shidden=""', dom)}


def test_overview_renders_and_the_failing_fragment_hides_the_rest(tmp_path: Path) -> None:
    path = page_with_probe(tmp_path, render(sample_report(), "html"))
    dom = dump(tmp_path, path.as_uri())
    assert len(re.findall(r'<a class="cell c-', dom)) == len(sample_report().results)
    assert _hidden_ids(dom) == set()  # no filter: every rule listed
    dom = dump(tmp_path, path.as_uri() + "#filter=failing")
    assert _hidden_ids(dom) == {"FORECAST-01", "AOSS-01", "AOSS-02", "MWAA-01", "MWAA-03"}
    assert re.search(r'<span id="f-count">2 shown</span>', dom)


def _widths(tmp_path: Path, page: str) -> tuple[int, int]:
    dom = dump(tmp_path, page_with_probe(tmp_path, page).as_uri())
    scroll = int(re.search(r'data-scroll-width="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    client = int(re.search(r'data-client-width="(\d+)"', dom).group(1))  # type: ignore[union-attr]
    return scroll, client


def test_no_horizontal_scroll_at_1000_px(tmp_path: Path) -> None:
    from dataclasses import replace

    long = sample_report()
    results = tuple(replace(r, detail="x" * 3000, replay="kms-conformance run " + "--rules " * 300)
                    for r in long.results)
    page = render(replace(long, results=results), "html")
    scroll, client = _widths(tmp_path, page)
    assert 900 <= client <= 1000 and scroll <= client, (scroll, client)
    # the probe can see horizontal scroll: a page with one over-wide line has it
    scroll, client = _widths(tmp_path, page.replace("</body>", '<div style="width:2000px">x</div></body>'))
    assert scroll > client


def test_screenshot_is_not_blank(tmp_path: Path) -> None:
    path = page_with_probe(tmp_path, render(sample_report(), "html"))
    shot = tmp_path / "shot.png"
    out = chromium(tmp_path, f"--screenshot={shot}", "--virtual-time-budget=3000", path.as_uri())
    assert out.returncode == 0 and shot.exists(), out.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # a blank page compresses to almost nothing; the rendered report does not
    assert len(data) > 10_000
