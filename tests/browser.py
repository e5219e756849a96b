"""A real Jupyter server and Debian's Chromium, driven by Playwright, for the UI tests.

Chromium comes from Debian's packages (``scripts/system-packages.sh`` installs it);
Playwright only drives it and never downloads a browser of its own. Screenshots go to
``tests/artifacts/`` (git-ignored), where a failed run leaves them to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOKEN = "evalround-test-token"
# As root, in a machine with no network but loopback: no setuid sandbox, no GPU, and no
# background calls home (each would be refused, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


class JupyterServer:
    """A running ``jupyter lab`` (or bare ``jupyter_server``) over one folder."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log

    def url(self, path: str) -> str:
        """A page address that logs the browser in with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={TOKEN}"

    def request(self, path: str, data: bytes | None = None, method: str | None = None
                ) -> bytes:
        headers = {"Authorization": f"token {TOKEN}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, headers=headers,
                                     method=method)
        with urllib.request.urlopen(req, timeout=30) as response:
            body: bytes = response.read()
            return body

    def login(self, page: Any) -> None:
        """Log the browser in through the server's login page, as a person pastes a token;
        the session cookie then carries every later page and form."""
        page.goto(self.base + "/login")
        form = page.locator("form:has(input#password_input)")
        form.locator("input#password_input").fill(TOKEN)
        form.locator("[type=submit]").first.click()
        page.wait_for_load_state()
        if "/login" in page.url:
            raise RuntimeError(f"logging in to {self.base} failed: {page.url}")

    def get(self, path: str) -> bytes:
        return self.request(path)

    def json(self, path: str) -> Any:
        return json.loads(self.request(path))


@contextlib.contextmanager
def jupyter(root: Path, workdir: Path, app: str = "jupyter_server",
            extra: tuple[str, ...] = ()) -> Iterator[JupyterServer]:
    """Serve ``root`` with ``python -m <app>`` on a free loopback port until the block ends.

    ``app`` is ``jupyter_server`` (formgrader and evalround's pages) or ``jupyterlab``
    (the candidate's JupyterLab). The server's log is ``workdir/server.log``.
    """
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
           "JUPYTER_CONFIG_DIR": str(workdir / "jupyter-config")}
    log_path = workdir / "server.log"
    workdir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", app, "--no-browser", "--allow-root",
             f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
             f"--ServerApp.root_dir={root}", *extra],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        server = JupyterServer(port, log_path)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    server.get("/api/status")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()[-3000:]) from None
                    time.sleep(0.3)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def chromium(viewport: tuple[int, int] = (1400, 1000)) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make install` "
                           "(scripts/system-packages.sh installs Debian's chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": viewport[0],
                                                    "height": viewport[1]})
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def guard_requests(page: Any, local: str) -> list[str]:
    """Let the page reach ``local`` only; refuse every other request, and list it.

    The returned list fills as the page runs: anything in it is a request that would
    have left the machine (a CDN's script, a tracking image, a link to an outside page...).
    """
    outside: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(local + "/") or url == local:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", handle)
    return outside
