"""A live portal on loopback and Debian's Chromium driven by Playwright, with axe-core."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server

from tests.conftest import base_settings, import_demo_register, make_app, unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@dataclass
class LivePortal:
    url: str
    app: object
    csp_violations: list[str] = field(default_factory=list)


@pytest.fixture
def live_portal(tmp_path, oidc_issuer) -> Iterator[LivePortal]:
    settings = base_settings(tmp_path, oidc_issuer) | {
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": True,
    }
    settings.pop("SERVER_NAME")
    app = make_app(settings)
    import_demo_register(app, tmp_path / "register")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield LivePortal(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def page_factory(browser, live_portal):
    contexts = []

    def open_page(width: int = 1280, height: int = 900, locale: str = "sv-FI"):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, java_script_enabled=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                live_portal.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def assert_accessible(page) -> None:
    """axe-core finds no WCAG 2.1 A/AA or best-practice violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def assert_no_horizontal_scroll(page) -> None:
    page.wait_for_load_state("load")  # measure with the stylesheet applied
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
