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
