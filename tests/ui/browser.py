"""Headless Debian Chromium driven over the Chrome DevTools Protocol (a websocket, no extra library).

One browser process per test: ``open`` a page, ``wait_for`` text to render (the
Prefect UI is a single-page app that fetches from the API after load), take a
``screenshot``. Every wait is bounded and reports the page text it last saw.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.support.processes import Process, free_port

T = TypeVar("T")


class Browser:
    """A headless Chromium with its own profile, one page, and a DevTools websocket to it."""

    def __init__(self, binary: str, profile: Path, size: tuple[int, int] = (1400, 1000)) -> None:
        self.port = free_port()
        self.profile = profile
        argv = [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--hide-scrollbars",
            f"--remote-debugging-port={self.port}",
            "about:blank",
        ]
        self.process = Process(argv, profile / "chromium.log")
        self._ws: ClientConnection | None = None
        self._next_id = 0

    def __enter__(self) -> Browser:
        self.process.start()
        deadline = time.monotonic() + 30
        pages: list[dict[str, Any]] = []
        while not pages:
            if time.monotonic() > deadline or not self.process.alive:
                self.process.stop()
                raise RuntimeError(f"chromium DevTools did not come up:\n{self.process.tail()}")
            try:
                listed = httpx.get(f"http://127.0.0.1:{self.port}/json/list", timeout=2).json()
                pages = [t for t in listed if t.get("type") == "page"]
            except httpx.HTTPError:
                time.sleep(0.2)
        self._ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self.call("Page.enable")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._ws is not None:
            self._ws.close()
        self.process.stop(timeout=5)

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        assert self._ws is not None, "use Browser as a context manager"
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = json.loads(self._ws.recv(timeout=left))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"DevTools {method} failed: {message['error']}")
                return dict(message.get("result", {}))
        raise TimeoutError(f"DevTools {method} gave no answer in {timeout:.0f} s")

    def open(self, url: str) -> None:
        """Navigate the page to ``url``."""
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"navigating to {url} failed: {result['errorText']}")

    def text(self) -> str:
        """The rendered text of the page (``document.body.innerText``; table cells tab-separated)."""
        result = self.call(
            "Runtime.evaluate", expression="document.body ? document.body.innerText : ''", returnByValue=True
        )
        return str(result.get("result", {}).get("value", ""))

    def table_rows(self) -> list[list[str]]:
        """The cells of every rendered table row (``<tr>``) on the page, header rows included."""
        script = (
            "[...document.querySelectorAll('tr')]"
            ".map(tr => [...tr.cells].map(c => (c.innerText || '').trim()))"
        )
        result = self.call("Runtime.evaluate", expression=script, returnByValue=True)
        return [[str(c) for c in row] for row in result.get("result", {}).get("value", [])]

    def click(self, label: str) -> None:
        """Click the innermost element whose text is exactly ``label`` (a tab, button or link)."""
        script = (
            f"(() => {{ const is = e => (e.innerText || '').trim() === {json.dumps(label)};"
            " const el = [...document.body.querySelectorAll('*')]"
            ".find(e => is(e) && ![...e.children].some(is));"
            " if (el) { el.click(); } return Boolean(el); })()"
        )
        found = self.call("Runtime.evaluate", expression=script, returnByValue=True)
        if not found.get("result", {}).get("value"):
            raise AssertionError(
                f"nothing labelled {label!r} to click; the page showed:\n{self.text()[-2000:]}"
            )

    def wait_for(self, ready: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        """Poll the page text until ``ready(text)``; the text, or AssertionError showing the last one."""
        return self._poll(self.text, ready, what, timeout)

    def wait_for_rows(
        self, ready: Callable[[list[list[str]]], bool], what: str, timeout: float = 30
    ) -> list[list[str]]:
        """Poll the page's table rows until ``ready(rows)``; the rows, or AssertionError."""
        return self._poll(self.table_rows, ready, what, timeout)

    def _poll(self, probe: Callable[[], T], ready: Callable[[T], bool], what: str, timeout: float) -> T:
        deadline = time.monotonic() + timeout
        seen = probe()
        while not ready(seen):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what} did not render in {timeout:.0f} s; the page showed:\n{self.text()[-3000:]}\n"
                    f"last probe: {str(seen)[-1000:]}"
                )
            time.sleep(0.3)
            seen = probe()
        return seen

    def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport saved to ``path``."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def row_with(rows: list[list[str]], *cells: str) -> list[str]:
    """The first row holding every one of ``cells``, or [] when none does."""
    return next((row for row in rows if all(c in row for c in cells)), [])
