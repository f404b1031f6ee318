"""Sign-in in a real browser (Debian's Chromium through Playwright): the login
link, the development IdP's form and the auto-submitting hand-over page, which
must work under the content security policy with scripts on, and by a click
with scripts off."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from rollcall.config import Settings
from rollcall.domain import orgs
from rollcall.saml import devidp
from rollcall.storage.models import Org
from tests.conftest import LiveServer
from tests.factories import OPERATOR, make_org
from tests.saml.conftest import Work

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"dev_idp_enabled": True})


@pytest.fixture
def server(app: FastAPI, settings: Settings) -> Iterator[LiveServer]:
    """The live server, with the public URL the browser can reach (its port)."""
    live = LiveServer(app)
    settings.public_url = live.url
    with live:
        yield live


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def scriptless_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with scripting off in its settings, as a person can set it; then
    it renders ``<noscript>`` (Playwright's per-page switch does not)."""
    chromium = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[*CHROMIUM_ARGS, "--blink-settings=scriptEnabled=false"],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def demo_org(work: Work, settings: Settings, server: LiveServer) -> Org:
    with work() as db:
        org = make_org(db, name="Demo", sso=False, provisioning=False)
        orgs.configure_sso(db, org, devidp.idp_settings(settings), OPERATOR)
    return org


def sign_in_at_dev_idp(page: Page, server: LiveServer, org: Org) -> None:
    page.goto(f"{server.url}/sso/{org.public_id}/login?next=/api/session")
    assert "Development IdP — not for production" in page.content()
    page.fill("#email", "grace@example.com")
    page.fill("#given_name", "Grace")
    page.fill("#family_name", "Hopper")
    page.click("button[type=submit]")


def test_sign_in_in_a_browser_hands_over_by_script(
    browser: Browser, server: LiveServer, demo_org: Org
) -> None:
    page = browser.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))

    sign_in_at_dev_idp(page, server, demo_org)
    page.wait_for_url(re.compile(r"/api/session$"))

    assert '"email":"grace@example.com"' in page.content()
    assert not [text for text in blocked if "Content Security Policy" in text]
    page.context.close()


def test_sign_in_in_a_browser_without_scripts_hands_over_by_a_click(
    scriptless_browser: Browser, server: LiveServer, demo_org: Org
) -> None:
    page = scriptless_browser.new_page()

    sign_in_at_dev_idp(page, server, demo_org)
    page.click("button:has-text('Continue')")
    page.wait_for_url(re.compile(r"/api/session$"))

    assert '"display_name":"Grace Hopper"' in page.content()
    page.context.close()
