"""Headless Chromium for tests that look at a page as a person would (Debian's `chromium` package;
`.ci/run` installs it when missing). Every run gets a new profile and no network services."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_browser() -> Optional[str]:
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)


def _run(browser: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="steplabel-chromium-") as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout, check=False)


def dump_dom(browser: str, url: str, timeout: float = 90) -> str:
    """The page's DOM after its scripts ran."""
    done = _run(browser, ["--virtual-time-budget=3000", "--dump-dom", url], timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screenshot(browser: str, url: str, png: Path, size: str = "1280,2400", timeout: float = 90) -> Path:
    done = _run(browser, [f"--screenshot={png}", f"--window-size={size}", "--hide-scrollbars", url], timeout)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot failed ({done.returncode}): {done.stderr[-2000:]}")
    return png
