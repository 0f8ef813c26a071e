"""Is the planner's page up? Poll Streamlit's health endpoint (for the browser test and the README screenshot)."""

from __future__ import annotations

import subprocess
import time
import urllib.request


def wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 90.0) -> None:
    """Return once `url` answers its health check; RuntimeError if `process` exits first or `seconds` pass."""
    deadline = time.time() + seconds
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the page's process ended (exit code {process.returncode}) before it served {url}")
        if time.time() > deadline:
            raise RuntimeError(f"the page did not start within {seconds:g} s")
        time.sleep(0.5)
