"""The explorer and the report in a real browser: JupyterLab on 127.0.0.1 driven through Debian's Chromium.

Marked ``browser``: ``pytest -m "not browser"`` leaves these out. Without
``/usr/bin/chromium`` they are skipped, unless ``TOOLKIT_REQUIRE_BROWSER`` is set
(``.ci/run`` sets it), when they fail. Screenshots go to each test's temporary
folder; set ``TOOLKIT_SCREENSHOTS`` to a folder (``docs``) to keep copies there.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT, SAMPLE, workspace

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "toolkit-browser-test"


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("TOOLKIT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def browser(pw, profile):
    """A Chromium context with a fresh profile, no downloads, no calls home."""
    return pw.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 1300, "height": 1700}, device_scale_factor=1)


def keep(shot, name):
    if folder := os.environ.get("TOOLKIT_SCREENSHOTS"):
        shutil.copy(shot, ROOT / folder / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url, path, method="GET"):
    req = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with a fixed token, serving a copy of notebooks/ and the sample."""
    root = tmp_path / "lab"
    workspace(root)
    settings = tmp_path / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "run"),
           "IPYTHONDIR": str(tmp_path / "ipython")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
           "--ServerApp.terminals_enabled=False"]
    if os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(tmp_path / 'jupyterlab.log').read_text()}")
            try:
                _api(url, "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on {url}:\n{(tmp_path / 'jupyterlab.log').read_text()}")
                time.sleep(0.5)
        yield url, root
    finally:
        try:
            for kernel in _api(url, "/api/kernels") or []:
                _api(url, f"/api/kernels/{kernel['id']}", method="DELETE")
        except OSError:
            pass
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return k && k.status === 'idle';
}"""

CHANGED = """([selector, before]) => {
  const el = document.querySelector(selector);
  return el && (el.tagName === 'IMG' ? el.src : el.innerText) !== before;
}"""


FITS = """([outer, inner]) => {
  const right = document.querySelector(outer).getBoundingClientRect().right;
  return [...document.querySelectorAll(inner)].filter(t => t.getBoundingClientRect().right > right + 1)
    .map(t => t.innerText.slice(0, 80));
}"""


def test_explorer_in_jupyterlab(lab, chromium, tmp_path):
    url, root = lab
    context = browser(chromium, tmp_path / "profile")
    try:
        page = context.new_page()
        page.goto(f"{url}/lab/tree/notebooks/02_explore_failures.ipynb?token={TOKEN}")
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

        plot = page.locator("img.toolkit-timeline")
        table = page.locator(".toolkit-top-errors table")
        rows = page.locator(".toolkit-rows table")
        table.wait_for(timeout=120_000)
        page.wait_for_function("() => document.querySelector('img.toolkit-timeline').naturalWidth > 0")
        before = {"img": plot.get_attribute("src"), "shot": plot.screenshot(), "table": table.inner_text(),
                  "status": page.locator(".toolkit-status").inner_text()}
        assert "futures" in before["table"] and "spot" in before["table"]
        assert "all markets" in before["status"]

        page.locator(".toolkit-market select").select_option("spot")
        # the status line is the last output a redraw replaces
        page.wait_for_function(CHANGED, arg=[".toolkit-status", before["status"]], timeout=30_000)
        page.wait_for_function("() => document.querySelector('img.toolkit-timeline').complete")
        assert plot.get_attribute("src") != before["img"]
        assert plot.screenshot() != before["shot"]
        after = table.inner_text()
        assert "spot" in after and "futures" not in after
        assert "futures" not in rows.inner_text()
        status = page.locator(".toolkit-status").inner_text()
        assert "spot" in status and "all markets" not in status

        # choosing an incident zooms to it and explains it
        labels = page.locator(".toolkit-incidents select option").all_inner_texts()
        pick = next(i for i, text in enumerate(labels) if "spot" in text and "server_error" in text)
        before = page.locator(".toolkit-status").inner_text()
        page.locator(".toolkit-incidents select").select_option(index=pick)
        page.wait_for_function(CHANGED, arg=[".toolkit-status", before], timeout=30_000)
        explanation = page.locator(".toolkit-incident-summary").inner_text()
        assert explanation.startswith("Whose fault: the exchange (an exchange outage): 56 calls failed on the "
                                      "exchange's side")
        assert "spot: 57 of 88 calls failed (65%) between Wed 18 Nov 14:11 and 14:36 UTC" in explanation
        assert "Wed 18 Nov 13:41 to Wed 18 Nov 15:06 UTC · spot" in page.locator(".toolkit-status").inner_text()

        assert page.evaluate(FITS, [".toolkit-explorer", ".toolkit-top-errors table, .toolkit-rows table"]) == []

        shot = tmp_path / "explorer.png"
        page.locator(".toolkit-explorer").screenshot(path=shot)
        assert shot.stat().st_size > 20_000
        keep(shot, "explorer.png")
    finally:
        context.close()
    assert sorted(p.name for p in (root / "notebooks").glob("*.csv")) == []


def test_report_reads_offline_in_the_browser(chromium, tmp_path):
    from toolkit.report import build_report

    out = build_report(SAMPLE, tmp_path / "postmortem.html", title="Post-mortem: the sample week")
    context = browser(chromium, tmp_path / "profile")
    fetched = []

    def only_the_file(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    try:
        context.route("**/*", only_the_file)
        page = context.new_page()
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "Post-mortem: the sample week"
        images = page.locator("img")
        assert images.count() >= 1
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert fetched == []
        # every table wraps inside the page, top errors (long messages and patterns) and incidents included
        assert page.evaluate(FITS, ["main", "table"]) == []
        shot = tmp_path / "report.png"
        page.set_viewport_size({"width": 1200, "height": 1400})
        page.screenshot(path=shot)
        keep(shot, "report.png")
    finally:
        context.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The post-mortem of the bundled week and of a fifteen-minute window inside Wednesday's outage."""
    from toolkit.report import build_report

    folder = tmp_path_factory.mktemp("reports")
    return {"week": build_report(SAMPLE, folder / "week.html"),
            "15min": build_report(SAMPLE, folder / "15min.html", start="2026-11-18 14:15", end="2026-11-18 14:30")}


@pytest.mark.parametrize("width", [1366, 800])
@pytest.mark.parametrize("window", ["week", "15min"])
def test_the_report_opens_with_its_verdict_and_fits_the_window(chromium, reports, tmp_path, window, width):
    context = browser(chromium, tmp_path / "profile")
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(reports[window].as_uri())
        page.wait_for_load_state("load")
        first = page.evaluate("() => document.querySelector('h1').closest('.jp-OutputArea-output')"
                              ".querySelector('p').innerText")
        assert first == page.locator("p.verdict").inner_text()
        assert first.startswith("9 incidents: 5 the bot's" if window == "week" else "2 incidents: 2 the exchange's")
        assert "The worst: incident" in first
        # nothing wider than the page: no table, image or paragraph sticks out, and no sideways scrolling
        assert page.evaluate(FITS, ["main", "table, img, p, li"]) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert page.evaluate("() => [...document.images].every(i => i.alt.startsWith('Plot: '))")
        shot = tmp_path / f"report-{window}-{width}.png"
        page.screenshot(path=shot, full_page=True)
        keep(shot, f"report-{window}-{width}.png")
    finally:
        context.close()
