"""The Manage Team pages in a real browser: Debian's Chromium through Playwright.

Each test opens a fresh browser context against the live server, so cookies and
clipboard never leak between tests. The tests take screenshots of the main pages;
with ``ROLLCALL_UPDATE_SCREENSHOTS=1`` they refresh those in ``docs/screenshots/``,
otherwise they go to a temporary folder so that a test run leaves the tree clean.
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from rollcall.domain import members, orgs
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.storage import queries, writes
from rollcall.storage.models import MemberState, Org, ProvisioningLogEntry, Role
from tests.conftest import PUBLIC_URL, LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import admin_link, load_member
from tests.factories import make_member, make_org

pytestmark = pytest.mark.browser

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("ROLLCALL_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "rollcall-screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDP = Actor("idp", "tok_demo")
PEOPLE = [
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=server.url, viewport={"width": 1200, "height": 900}
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _seed(work: Work) -> Org:
    """An org shaped like a real one: signed-in people, pending ones, a leaver."""
    with work() as db:
        org = make_org(db, name="Acme Robotics", domains=("example.com",))
        for given, family in PEOPLE:
            email = f"{given.lower()}.{family.lower()}@example.com"
            member = make_member(db, org, email, given=given, family=family)
            if given not in ("Donald", "Frances"):
                members.mark_signed_in(db, org, member)
        leaver = make_member(db, org, "mallory@example.com", given="Mal", family="Lory")
        members.update(db, org, leaver, MemberInput(active=False), IDP)
    return org


def _sign_in(page: Page, work: Work, org: Org, email: str) -> None:
    page.goto(admin_link(work, org, email))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Team members")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _row(page: Page, email: str) -> Locator:
    return page.get_by_role("row").filter(has_text=email)


def _open_scim(page: Page, org: Org) -> None:
    page.goto(f"/orgs/{org.public_id}/sso")
    page.get_by_text("Show SCIMv2 Details").click()
    expect(page.get_by_label("SCIM base URL (tenant URL)")).to_be_visible()


def _new_token(page: Page) -> str:
    field = page.locator("#new-token")
    expect(field).to_be_visible()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    return field.input_value()


def _scim_status(server: LiveServer, org: Org, token: str) -> int:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        answer = client.get(
            f"/scim/v2/{org.public_id}/Users",
            headers={"Authorization": f"Bearer {token}"},
        )
    return answer.status_code


def test_admin_link_signs_in_and_shows_the_team(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")

    expect(page).to_have_url(f"/orgs/{org.public_id}/team")
    expect(page.get_by_text("owner@example.com (owner)")).to_be_visible()
    expect(_row(page, "grace.hopper@example.com")).to_contain_text("Grace Hopper")
    expect(
        page.get_by_role("cell", name="donald.knuth@example.com", exact=True)
    ).to_have_count(0)
    _shot(page, "team.png")


def test_team_page_fits_a_phone(
    browser: Browser, server: LiveServer, work: Work
) -> None:
    org = _seed(work)
    phone = browser.new_context(
        base_url=server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = phone.new_page()
        _sign_in(page, work, org, "owner@example.com")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px wide)"
        expect(_row(page, "ada.lovelace@example.com")).to_be_visible()
        _shot(page, "team-phone.png")
    finally:
        phone.close()


def test_search_and_views(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")

    page.get_by_label("Search by name or email").fill("hopper")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("td.email")).to_have_text(["grace.hopper@example.com"])

    page.get_by_role("link", name="Not signed in yet").click()
    expect(page.locator("td.email")).to_have_text(
        ["donald.knuth@example.com", "frances.allen@example.com"]
    )
    page.get_by_role("link", name="Deactivated").click()
    expect(page.locator("td.email")).to_have_text(["mallory@example.com"])


def test_copy_scim_endpoint_to_clipboard(
    context: BrowserContext, page: Page, work: Work
) -> None:
    org = _seed(work)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    _sign_in(page, work, org, "owner@example.com")
    _open_scim(page, org)

    page.locator("button[data-copy=scim-endpoint]").click()
    expect(page.locator("button[data-copy=scim-endpoint]")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{PUBLIC_URL}/scim/v2/{org.public_id}"


def test_generated_token_works_for_scim(
    page: Page, work: Work, server: LiveServer
) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")
    _open_scim(page, org)

    page.get_by_role("button", name="Generate token").click()
    token = _new_token(page)
    expect(page.locator("details#scim")).to_have_attribute("open", "")
    _shot(page, "sso-scim.png")

    assert _scim_status(server, org, token) == 200
    page.goto(f"/orgs/{org.public_id}/sso")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_text(token)).to_have_count(0)


def test_rotate_keeps_both_tokens_and_revoke_ends_the_old(
    page: Page, work: Work, server: LiveServer
) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")
    _open_scim(page, org)
    page.get_by_role("button", name="Generate token").click()
    old = _new_token(page)
    with work() as db:
        (old_id,) = [
            t.public_id for t in orgs.list_tokens(db, orgs.get_org(db, org.public_id))
        ]

    page.get_by_role("button", name=f"Rotate {old_id}").click()
    new = _new_token(page)
    assert new != old
    assert _scim_status(server, org, old) == 200
    assert _scim_status(server, org, new) == 200

    page.get_by_role("button", name=f"Revoke {old_id}").click()
    expect(page.get_by_text("The token was revoked.")).to_be_visible()
    assert _scim_status(server, org, old) == 401
    assert _scim_status(server, org, new) == 200


def test_change_a_role(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")

    page.get_by_label("Role of alan.turing@example.com").select_option("admin")
    _row(page, "alan.turing@example.com").get_by_role("button", name="Change").click()
    expect(page.get_by_text("The role was changed.")).to_be_visible()
    expect(page.get_by_label("Role of alan.turing@example.com")).to_have_value("admin")
    assert load_member(work, org, "alan.turing@example.com").role == Role.ADMIN


def test_remove_a_member_moves_them_to_deactivated(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")

    page.get_by_role("link", name="Remove edsger.dijkstra@example.com").click()
    expect(page.get_by_role("heading", name="Remove Edsger Dijkstra?")).to_be_visible()
    page.get_by_role("button", name="Remove from team").click()

    expect(page.get_by_text("removed from the team")).to_be_visible()
    expect(
        page.get_by_role("cell", name="edsger.dijkstra@example.com", exact=True)
    ).to_have_count(0)
    page.get_by_role("link", name="Deactivated").click()
    expect(page.locator("td.email")).to_contain_text(["edsger.dijkstra@example.com"])
    state = load_member(work, org, "edsger.dijkstra@example.com").state
    assert state == MemberState.DEACTIVATED


def test_bad_metadata_shows_the_error_beside_the_field(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")
    page.goto(f"/orgs/{org.public_id}/sso")

    page.get_by_label("…or paste the metadata XML").fill("<EntityDescriptor>oops")
    page.get_by_role("button", name="Replace metadata").click()

    error = page.locator("#metadata-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.get_by_label("…or paste the metadata XML")).to_have_attribute(
        "aria-describedby", "metadata-error"
    )


def test_member_cannot_reach_admin_actions(page: Page, work: Work) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "ada.lovelace@example.com")

    expect(page.get_by_text("ada.lovelace@example.com (member)")).to_be_visible()
    expect(page.get_by_role("link", name="Domain Access & SSO")).to_have_count(0)
    expect(page.locator("select")).to_have_count(0)
    expect(page.get_by_role("link", name="Remove")).to_have_count(0)

    page.goto(f"/orgs/{org.public_id}/sso")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_idp_deactivation_and_reactivation_in_team_list(
    browser: Browser, page: Page, server: LiveServer, work: Work
) -> None:
    org = _seed(work)
    _sign_in(page, work, org, "owner@example.com")
    expect(
        page.get_by_role("cell", name="grace.hopper@example.com", exact=True)
    ).to_be_visible()

    _set_active(work, org, "grace.hopper@example.com", False)
    page.reload()
    expect(
        page.get_by_role("cell", name="grace.hopper@example.com", exact=True)
    ).to_have_count(0)

    _set_active(work, org, "grace.hopper@example.com", True)
    page.reload()
    expect(
        page.get_by_role("cell", name="grace.hopper@example.com", exact=True)
    ).to_have_count(0)

    grace = browser.new_context(base_url=server.url)
    try:
        _sign_in(grace.new_page(), work, org, "grace.hopper@example.com")
    finally:
        grace.close()
    page.reload()
    expect(
        page.get_by_role("cell", name="grace.hopper@example.com", exact=True)
    ).to_be_visible()


def test_logs_page(page: Page, work: Work) -> None:
    org = _seed(work)
    _log_requests(work, org)
    _sign_in(page, work, org, "owner@example.com")
    page.get_by_role("link", name="Logs").click()

    expect(page.get_by_text("a member with userName")).to_be_visible()
    _shot(page, "logs.png")
    page.get_by_role("link", name="Failed").click()
    expect(page.locator("tr.ok")).to_have_count(0)
    expect(page.locator("tr.failed")).to_have_count(2)


def _set_active(work: Work, org: Org, email: str, active: bool) -> None:
    with work() as db:
        fresh = orgs.get_org(db, org.public_id)
        member = queries.get_member_by_email(db, org.id, email)
        assert member is not None
        members.update(db, fresh, member, MemberInput(active=active), IDP)


def _log_requests(work: Work, org: Org) -> None:
    ada = load_member(work, org, "ada.lovelace@example.com")
    lines = [
        ("GET", "list users", None, 200, None),
        (
            "POST",
            "create user",
            ada.scim_id,
            409,
            "a member with userName "
            "'ada.lovelace@example.com' already exists in this org",
        ),
        ("PATCH", "update user", ada.scim_id, 200, None),
        (
            "POST",
            "create user",
            None,
            400,
            "the email domain of 'x@other.test' is "
            "not an SSO domain of this org (allowed: example.com)",
        ),
    ]
    with work() as db:
        for n, (method, operation, member, status, detail) in enumerate(lines):
            writes.add_provisioning_log(
                db,
                ProvisioningLogEntry(
                    org_id=org.id,
                    request_id=f"7f3a9c{n:02}e1d2",
                    method=method,
                    operation=operation,
                    member_scim_id=member,
                    status=status,
                    detail=detail,
                ),
            )
