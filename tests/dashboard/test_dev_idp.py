"""Signing in to Manage Team through the development IdP, in Chromium.

The whole round trip is real: the sign-in page sends the browser to the org's
SP-initiated login, the development IdP answers with a signed SAML response
that the ACS checks, and the session lands on the team page. SAML checks the
URLs it is addressed to, so the server here listens on the port that the
settings' public URL names.
"""

import socket
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rollcall.config import Settings
from rollcall.domain import orgs
from rollcall.saml import devidp
from tests.conftest import LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import load_member
from tests.dashboard.test_browser import CHROMIUM_ARGS
from tests.factories import OPERATOR, make_org

pytestmark = pytest.mark.browser


@pytest.fixture
def port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free: int = sock.getsockname()[1]
        return free


@pytest.fixture
def settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={"public_url": f"http://127.0.0.1:{port}", "dev_idp_enabled": True}
    )


@pytest.fixture
def server(app: FastAPI, port: int) -> Iterator[LiveServer]:
    live = LiveServer(app)
    live.port = port
    live.server.config.port = port
    with live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_sign_in_through_the_development_idp(
    page: Page, work: Work, settings: Settings
) -> None:
    with work() as db:
        org = make_org(db, name="Demo Org", sso=False, provisioning=False)
        orgs.configure_sso(db, org, devidp.idp_settings(settings), OPERATOR)

    page.goto("/")
    page.get_by_label("Organisation id").fill(org.public_id)
    page.get_by_role("button", name="Continue with SSO").click()
    expect(page.get_by_text("Development IdP")).to_be_visible()
    page.get_by_label("Email").fill("lin.chen@example.com")
    page.get_by_label("Given name").fill("Lin")
    page.get_by_label("Family name").fill("Chen")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"/orgs/{org.public_id}/team")
    expect(page.get_by_text("lin.chen@example.com (member)")).to_be_visible()
    expect(page.get_by_role("cell", name="Lin Chen", exact=True)).to_be_visible()
    joined = load_member(work, org, "lin.chen@example.com")
    assert joined.state == "active"
    assert joined.formatted_name == "Lin Chen"
