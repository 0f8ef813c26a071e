"""The planner's page in a real browser: `crisis-sim app` served on 127.0.0.1, driven by selenium.

Needs Chromium and its driver (Debian's chromium and chromium-driver; .ci/run installs them).
Screenshots at 1400 and 1000 px wide are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, SCENARIOS
from sim.analysis import catalogue
from sim.app.health import wait_until_serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver; .ci/run "
                              "installs them)"),
]
selenium = pytest.importorskip("selenium", reason="needs selenium (the `test` extra)")
pytest.importorskip("streamlit", reason="needs streamlit (the `app` extra)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_class(key: str) -> str:
    """The CSS class Streamlit gives a widget's container for its key."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


@pytest.fixture
def server(tmp_path):
    """`crisis-sim app` on a free port of 127.0.0.1, stopped after the test."""
    port = free_port()
    exe = Path(sys.executable).parent / "crisis-sim"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([str(exe), "app", str(SCENARIOS / "police_only.yaml"), str(SCENARIOS / "peer_embedded.yaml"),
                             "--no-browser", "--host", "127.0.0.1", "--port", str(port), "--days", "20",
                             "--warmup-days", "2", "-r", "2", "--workers", "1", "--results", str(tmp_path / "results")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_serving(url, proc, 90)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{(tmp_path / 'server.log').read_text()}")
        yield url, tmp_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    assert proc.returncode is not None


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def full_page_screenshot(driver, width: int, path: Path) -> None:
    main = driver.find_element(By.CSS_SELECTOR, "[data-testid=stMain]")
    height = driver.execute_script("return arguments[0].scrollHeight", main)
    driver.set_window_size(width, min(height + 80, 8000))
    time.sleep(1.0)
    driver.save_screenshot(str(path))


def test_change_units_run_and_read_the_answer_in_a_browser(server, browser):
    url, _tmp = server
    browser.get(url)
    wait = WebDriverWait(browser, 120)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=stTab]")))
    browser.find_elements(By.CSS_SELECTOR, "[data-testid=stTab]")[1].click()  # the peer-embedded scenario
    units = wait.until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, f".{key_class('edit:peer_embedded:teams.peer_team.shifts[0].units')} input")))
    units.send_keys(Keys.CONTROL, "a")
    units.send_keys("7", Keys.ENTER)
    wait.until(lambda d: "teams.peer_team.shifts[0].units" in d.find_element(By.CSS_SELECTOR, "[data-testid=stMain]").text)
    browser.find_element(By.CSS_SELECTOR, f".{key_class('run')} button").click()

    table = WebDriverWait(browser, 240).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=stTable] table")))
    header = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert "Peer-embedded teams (edited)" in header
    rows = {r.find_element(By.CSS_SELECTOR, "th").text: [td.text for td in r.find_elements(By.CSS_SELECTOR, "td")]
            for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")}
    police_on_scene = rows[catalogue.metric("police_on_scene_share").label]
    assert police_on_scene[0] == "100.0% (100.0% to 100.0%)", "police only: police on every dispatched call"
    assert float(police_on_scene[1].split("%")[0]) < 100.0, "the peer team answers some calls without police"

    image = WebDriverWait(browser, 120).until(  # the first chart's tab shows
        EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=stImage] img")))
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", image))
    assert browser.execute_script("return arguments[0].naturalWidth", image) >= 800
    assert "Outcomes per 100 crisis calls" in browser.find_element(By.CSS_SELECTOR, "[data-testid=stMain]").text

    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1400, 1000):
        shot = ARTIFACTS / f"app_compare_{width}.png"
        full_page_screenshot(browser, width, shot)
        assert shot.stat().st_size > 50_000
        print(f"screenshot: {shot}")
