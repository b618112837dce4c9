"""Open a page in headless Chromium and report what a reader would hit: console errors,
exceptions, network requests, broken images, layout width, plus a screenshot.

Talks the DevTools protocol over `--remote-debugging-pipe` (NUL-separated JSON on fds 3 and
4), so it needs no websocket client and no Python package beyond the standard library.
Debian: `apt-get install chromium`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""


class Chromium:
    """A headless browser driven over the DevTools pipe; use as a context manager."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="optbench-chromium-")
        to_child, self._out = os.pipe()  # we write commands, the browser reads fd 3
        self._in, from_child = os.pipe()  # the browser writes fd 4, we read

        def wire() -> None:  # in the child, before exec: our pipe ends become fds 3 and 4
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile.name}",
            "about:blank",
        ]
        self._proc = subprocess.Popen(
            args,
            preexec_fn=wire,  # places the pipe on fds 3 and 4
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.send("Browser.close")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    # -- protocol ---------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer (events meanwhile go to `self.events`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict:
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            event = self._receive()
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)

    def _receive(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it start?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # -- a page -----------------------------------------------------------------------------
    def open(self, url: str, width: int, height: int, mobile: bool = False) -> str:
        """A new tab at `url`, loaded; returns its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session,
        )
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str) -> bytes:
        data = self.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        return base64.b64decode(data)

    def problems(self, session: str) -> tuple[list[str], list[str]]:
        """Console errors / exceptions / error log entries, and every non-local request."""
        errors, requests = [], []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:")):
                    requests.append(url)
        return errors, requests


PAGE_FACTS = """
(async () => {
  const images = Array.from(document.images);
  const decoded = await Promise.all(images.map(i => i.decode().then(() => true, () => false)));
  await new Promise(r => setTimeout(r, 50));
  return {
    images: images.length,
    images_loaded: decoded.filter(Boolean).length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    tables: document.querySelectorAll("table").length,
    sortable: document.querySelectorAll("table.sortable").length,
    sections: Array.from(document.querySelectorAll("main section[id]")).map(s => s.id),
    scroll_width: document.documentElement.scrollWidth,
    // tables whose box scrolls sideways (wider than the page column they sit in)
    wide_tables: Array.from(document.querySelectorAll(".table-wrap"))
      .filter(w => w.scrollWidth > w.clientWidth + 1)
      .map(w => [w.querySelector("th, td").textContent.trim(), w.scrollWidth, w.clientWidth]),
    viewport_width: window.innerWidth,
    title: document.title,
    // what a reader sees of the head section (literal backticks there are a rendering bug)
    heads_text: (document.querySelector("section.heads") || {innerText: ""}).innerText,
  };
})()
"""


def inspect(
    path: Path,
    width: int = 1280,
    height: int = 900,
    mobile: bool = False,
    binary: str | None = None,
    browser: Chromium | None = None,
) -> PageReport:
    """Load `path` at the given viewport and collect a PageReport (with a screenshot).

    Pass an open `browser` to reuse it (each call opens a new tab); otherwise one is started.
    """
    if browser is None:
        binary = binary or find_chromium()
        if binary is None:
            raise FileNotFoundError("no Chromium found (Debian: apt-get install chromium)")
        with Chromium(binary) as own:
            return inspect(path, width, height, mobile, browser=own)
    session = browser.open(path.resolve().as_uri(), width, height, mobile)
    facts = browser.evaluate(session, PAGE_FACTS)
    shot = browser.screenshot(session)
    errors, requests = browser.problems(session)
    return PageReport(errors, requests, facts, shot)


def sorted_column(browser: Chromium, path: Path, table_index: int, header: str) -> list[list[str]]:
    """Click a sortable column header twice; the first column's texts after each click."""
    script = f"""
    (() => {{
      const table = document.querySelectorAll("table.sortable")[{table_index}];
      const heads = Array.from(table.tHead.rows[0].cells);
      const th = heads.find(c => c.textContent.trim() === {json.dumps(header)});
      const order = () => Array.from(table.tBodies[0].rows).map(r => r.cells[0].textContent.trim());
      th.querySelector("button").click();
      const first = order();
      th.querySelector("button").click();
      return [first, order()];
    }})()
    """
    session = browser.open(path.resolve().as_uri(), 1280, 900)
    return browser.evaluate(session, script)
