"""No value can widen a Manage Team page: long unbroken names and log details
wrap, on a 375 px phone and on a desktop (real Chromium through Playwright)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.storage import writes
from rollcall.storage.models import Org, ProvisioningLogEntry
from tests.conftest import LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import admin_link
from tests.factories import make_org

pytestmark = pytest.mark.browser

LONG_WORD = "W" * 256
IDP = Actor("idp", "t" * 300)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


def _seed(work: Work) -> Org:
    with work() as db:
        org = make_org(db, name="N" * 120)
        data = MemberInput(
            user_name=f"{'l' * 64}@example.com",
            given_name=LONG_WORD,
            family_name=LONG_WORD,
            display_name=LONG_WORD,
        )
        member = members.provision(db, org, data, IDP)
        members.mark_signed_in(db, org, member)
        for status in (200, 409):
            entry = ProvisioningLogEntry(
                org_id=org.id,
                request_id="7f3a9c00e1d2aa55",
                method="PATCH",
                operation="update user",
                member_scim_id=member.scim_id,
                status=status,
                detail=f"the email domain of {'x' * 200!r} is not an SSO domain",
            )
            writes.add_provisioning_log(db, entry)
    return org


def _page_width(
    browser: Browser, server: LiveServer, work: Work, width: int, path: str
) -> int:
    org = _seed(work)
    context = browser.new_context(
        base_url=server.url, viewport={"width": width, "height": 800}
    )
    try:
        page: Page = context.new_page()
        page.goto(admin_link(work, org, "owner@example.com"))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Team members")).to_be_visible()
        page.goto(path.format(org=org.public_id))
        scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
        return scroll_width
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1200])
@pytest.mark.parametrize("path", ["/orgs/{org}/team", "/orgs/{org}/logs"])
def test_long_values_never_widen_the_page(
    browser: Browser, server: LiveServer, work: Work, width: int, path: str
) -> None:
    assert _page_width(browser, server, work, width, path) <= width


def test_logs_page_of_an_ordinary_org_fits_a_375px_phone(
    browser: Browser, server: LiveServer, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
        writes.add_provisioning_log(
            db,
            ProvisioningLogEntry(
                org_id=org.id,
                request_id="7f3a9c00e1d2aa55",
                method="POST",
                operation="create user",
                member_scim_id=None,
                status=400,
                detail="the email domain of 'x@other.test' is not an SSO domain",
            ),
        )
    context = browser.new_context(
        base_url=server.url, viewport={"width": 375, "height": 800}, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(admin_link(work, org, "owner@example.com"))
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/orgs/{org.public_id}/logs")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
