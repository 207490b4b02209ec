"""The HTML briefing in a real headless Chromium: no console errors, every image loaded, and a
screenshot written as a test artefact ($TEST_ARTIFACTS, else pytest's temporary folder)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from energymodel.report.build import chromium_flags, find_browser

from .conftest import HOSTILE

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(
  e.message || ("failed to load " + (e.target && e.target.tagName))), true);
for (const level of ["error", "warn"]) {
  const original = console[level];
  console[level] = (...args) => { window.__errors.push(args.join(" ")); original(...args); };
}
window.addEventListener("load", () => {
  const images = [...document.images];
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  document.title = `PROBE images=${images.length} broken=${broken} ` +
                   `errors=${window.__errors.length} ${window.__errors.join(" | ")}`;
});
</script>"""


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        pytest.skip("no Chromium on this machine: install the Debian package chromium "
                    "(.ci/run does) to run the browser tests")
    return found


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *chromium_flags(str(profile)), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_briefing_opens_with_every_image_and_no_console_error(two, browser, tmp_path,
                                                              tmp_path_factory):
    html = (two / "briefing.html").read_text()
    artefacts = Path(os.environ.get("TEST_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    artefacts.mkdir(parents=True, exist_ok=True)
    shot = artefacts / "briefing.png"
    # The briefing as shipped: its console stays silent (a blocked resource or a refused
    # script would be logged here), and a screenshot of the first screen.
    run = chromium(browser, tmp_path / "p1", "--enable-logging=stderr", "--v=0",
                   "--window-size=1000,1400", "--hide-scrollbars", f"--screenshot={shot}",
                   (two / "briefing.html").as_uri())
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    assert shot.is_file() and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
    # A copy with a probe script (the shipped page forbids scripts by its CSP) counts the
    # images that failed to load and the errors raised.
    probe = tmp_path / "probe.html"
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', PROBE, html))
    run = chromium(browser, tmp_path / "p2", "--virtual-time-budget=10000", "--dump-dom",
                   probe.as_uri())
    title = re.search(r"<title>(PROBE[^<]*)</title>", run.stdout)
    assert title, run.stderr[-2000:]
    images = len(list((two / "charts").glob("*.svg")))
    assert title.group(1).strip() == f"PROBE images={images} broken=0 errors=0"


def test_hostile_text_renders_as_text_in_the_browser(hostile_report, browser, tmp_path):
    out = hostile_report
    run = chromium(browser, tmp_path / "p", "--virtual-time-budget=5000", "--dump-dom",
                   (out / "briefing.html").as_uri())
    # the browser shows the description's characters as text
    assert "&lt;script&gt;alert(" in run.stdout
    assert run.stdout.count("<img") == len(list((out / "charts").glob("*.svg")))
    assert HOSTILE.split(">")[0] + ">" not in run.stdout  # no script element was created


# Every page size (issue 16): the page in an iframe of exactly the viewport's size, a probe
# inside it measuring the layout and posting the result to the outer page's title.
LAYOUT = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(
  e.message || ("failed to load " + (e.target && e.target.tagName))), true);
for (const level of ["error", "warn", "log", "info"]) {
  const original = console[level];
  console[level] = (...args) => { window.__errors.push(args.join(" ")); original(...args); };
}
window.addEventListener("load", () => {
  const images = [...document.images];
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  let smallest = 1e9;  // px of the smallest chart text as rendered (9 pt in the figure)
  for (const i of images) {
    const scale = i.getBoundingClientRect().width / parseFloat(i.getAttribute("width"));
    smallest = Math.min(smallest, parseFloat(i.dataset.smallestPt) * 4 / 3 * scale);
  }
  const answer = document.querySelector("#bottom-line .bottom").getBoundingClientRect();
  parent.postMessage(`LAYOUT width=${document.documentElement.scrollWidth} ` +
    `view=${window.innerWidth} height=${window.innerHeight} images=${images.length} ` +
    `broken=${broken} smallest=${smallest.toFixed(2)} answer=${answer.bottom.toFixed(0)} ` +
    `errors=${window.__errors.length}`, "*");
});
</script>"""


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)])
def test_briefing_fits_every_page_size(two, browser, tmp_path, width, height):
    """At a phone's 390 x 844 and a laptop's 1280 x 900: no sideways scroll (document width
    <= viewport), every image loads, no console message, chart text >= 9 px, and page one's
    bottom line within the first screen at 1280 x 900."""
    html = (two / "briefing.html").read_text()
    (tmp_path / "probe.html").write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', LAYOUT, html))
    outer = tmp_path / "outer.html"
    outer.write_text('<html><head><title>none</title><script>window.addEventListener('
                     '"message", e => document.title = e.data);</script></head><body '
                     f'style="margin:0"><iframe src="probe.html" width="{width}" '
                     f'height="{height}" style="border:0"></iframe></body></html>')
    run = chromium(browser, tmp_path / "p", f"--window-size={width + 100},{height + 100}",
                   "--hide-scrollbars", "--virtual-time-budget=10000", "--dump-dom",
                   outer.as_uri())
    found = re.search(r"<title>LAYOUT ([^<]*)</title>", run.stdout)
    assert found, run.stderr[-2000:]
    got = dict(item.split("=") for item in found.group(1).split())
    assert int(got["view"]) == width and int(got["height"]) == height
    assert int(got["width"]) <= width  # no sideways scroll
    assert int(got["images"]) == len(list((two / "charts").glob("*.svg")))
    assert got["broken"] == "0" and got["errors"] == "0"
    assert float(got["smallest"]) >= 9.0
    if width == 1280:
        assert int(got["answer"]) <= height  # the bottom line on the first screen
