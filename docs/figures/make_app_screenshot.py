"""Redraw docs/figures/app_compare.png: the planner's page in headless Chromium, as a planner uses it.

Starts `crisis-sim app` on the shipped presets (police only against peer-embedded teams) on a
free local port, sets the peer team to 6 units until midnight, folds the police and follow-up
teams' settings, presses Run and saves the page down to the first chart at 1400 px wide. Needs Chromium and chromedriver (Debian's
chromium and chromium-driver) and selenium (the `test` extra), like tests/test_app_browser.py.

    .venv/bin/python docs/figures/make_app_screenshot.py [-r 3] [--days 180]
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from sim.app.health import wait_until_serving

OUT = Path(__file__).resolve().parent / "app_compare.png"


def key_class(key: str) -> str:
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def set_value(wait, key: str, text: str) -> None:
    box = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, f".{key_class(key)} input")))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text, Keys.ENTER)
    time.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--replications", type=int, default=3)
    parser.add_argument("--days", type=float, default=180)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    results = Path(tempfile.mkdtemp(prefix="app_screenshot_"))
    exe = Path(sys.executable).parent / "crisis-sim"
    server = subprocess.Popen([str(exe), "app", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
                               "-r", str(args.replications), "--days", str(args.days), "--workers", str(args.workers),
                               "--results", str(results)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    driver = None
    try:
        wait_until_serving(url, server, 120)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        driver.get(url)
        wait = WebDriverWait(driver, 120)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=stTab]")))
        driver.find_elements(By.CSS_SELECTOR, "[data-testid=stTab]")[1].click()  # the peer-embedded scenario
        set_value(wait, "edit:peer_embedded:teams.peer_team.shifts[0].units", "6")
        set_value(wait, "edit:peer_embedded:teams.peer_team.shifts[0].end", "24:00")
        wait.until(lambda d: "teams.peer_team.shifts[0].end" in d.find_element(By.CSS_SELECTOR, "[data-testid=stMain]").text)
        for summary in driver.find_elements(By.CSS_SELECTOR, "[data-testid=stExpander] summary"):
            words = summary.text.strip().splitlines()[-1:]  # after the expander's icon, if any
            if words and words[0].strip() in ("Police", "Peer follow-up team"):  # folded: the page stays readable
                driver.execute_script("arguments[0].click()", summary)  # under the top bar: no real click
                time.sleep(0.5)
        driver.find_element(By.CSS_SELECTOR, f".{key_class('run')} button").click()
        WebDriverWait(driver, 1800).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=stTable] table")))
        image = WebDriverWait(driver, 300).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=stImage] img")))
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image))
        # the page from its top down to the bottom of the first chart: first a window taller than the page
        driver.set_window_size(1400, 8000)
        time.sleep(2.0)
        driver.execute_script("""const h = document.querySelector('header'); if (h) h.style.display = 'none';
            document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]').forEach(e => e.scrollTop = 0);
            window.scrollTo(0, 0);""")
        time.sleep(1.0)
        bottom = driver.execute_script("return arguments[0].getBoundingClientRect().bottom", image)
        driver.set_window_size(1400, int(bottom) + 140)
        time.sleep(2.0)
        driver.save_screenshot(str(args.out))
        print(f"{args.out} ({args.replications} replications × {args.days:g} days)")
    finally:
        if driver is not None:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(results, ignore_errors=True)


if __name__ == "__main__":
    main()
