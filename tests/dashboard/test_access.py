"""Who reaches which Manage Team page, and CSRF on every form post, over HTTP."""

import httpx

from rollcall.config import Settings
from rollcall.dashboard.security import csrf_token
from rollcall.domain import orgs
from rollcall.domain.orgs import hash_secret
from rollcall.storage.models import MemberState, Org, Role
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import admin_link, csrf_of, load_member, sign_in
from tests.factories import make_member, make_org


def _org(work: Work, *emails: str, **kwargs: object) -> Org:
    with work() as db:
        org = make_org(db, **kwargs)  # type: ignore[arg-type]
        for email in emails:
            make_member(db, org, email)
    return org


def _set_role(work: Work, org: Org, email: str, role: Role) -> None:
    with work() as db:
        member = load_member(work, org, email)
        db.merge(member).role = role


def test_admin_link_signs_in_and_opens_team_page(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work)
    page = sign_in(http, work, org, "owner@example.com")

    assert page.status_code == 200
    assert page.url.path == f"/orgs/{org.public_id}/team"
    assert "owner@example.com (owner)" in page.text
    assert http.get("/").headers["location"] == f"/orgs/{org.public_id}/team"


def test_admin_link_confirmation_does_not_spend_the_link(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work)
    path = admin_link(work, org, "owner@example.com")

    for _ in range(3):
        assert http.get(path).status_code == 200
    answer = http.post(path, data={"csrf_token": csrf_of(http.get(path).text)})
    assert answer.status_code == 303


def test_admin_link_works_only_once(http: httpx.Client, work: Work) -> None:
    org = _org(work)
    path = admin_link(work, org, "owner@example.com")
    token = csrf_of(http.get(path).text)
    assert http.post(path, data={"csrf_token": token}).status_code == 303

    with httpx.Client(base_url=str(http.base_url)) as other:
        again = other.post(path, data={"csrf_token": token})
    assert again.status_code == 403
    assert "not valid" in again.text
    assert "text/html" in again.headers["content-type"]


def test_unknown_admin_link_gives_readable_page(
    http: httpx.Client, settings: Settings
) -> None:
    secret = "not-a-real-secret"
    token = csrf_token(settings, hash_secret(secret))
    answer = http.post(f"/admin-link/{secret}", data={"csrf_token": token})
    assert answer.status_code == 403
    assert "ask support for a new one" in answer.text


def test_admin_link_post_without_csrf_token_is_refused(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work)
    path = admin_link(work, org, "owner@example.com")
    assert http.post(path).status_code == 403
    assert http.post(path, data={"csrf_token": "0" * 64}).status_code == 403

    # The refused posts did not spend the link.
    token = csrf_of(http.get(path).text)
    assert http.post(path, data={"csrf_token": token}).status_code == 303


def test_signed_out_browser_is_sent_to_sign_in_page(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work)
    for path in ("team", "sso", "logs"):
        answer = http.get(f"/orgs/{org.public_id}/{path}")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
    assert http.post(f"/orgs/{org.public_id}/scim/tokens").status_code == 303

    home = http.get("/")
    assert home.status_code == 200
    assert "single sign-on" in home.text
    assert 'action="/sign-in"' in home.text


def test_sign_in_form_sends_to_org_sso(http: httpx.Client) -> None:
    answer = http.get("/sign-in", params={"org": " 3f9c0a1b2d4e5f60 "})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sso/3f9c0a1b2d4e5f60/login"


def test_sign_in_form_refuses_malformed_org_id(http: httpx.Client) -> None:
    answer = http.get("/sign-in", params={"org": "../../etc"})
    assert answer.status_code == 400
    assert "enter your organisation" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_session_of_one_org_gets_404_on_another(http: httpx.Client, work: Work) -> None:
    mine = _org(work, name="Mine")
    theirs = _org(work, "someone@other.test", name="Theirs", domains=("other.test",))
    page = sign_in(http, work, mine, "owner@example.com")

    for path in ("team", "sso", "logs"):
        assert http.get(f"/orgs/{theirs.public_id}/{path}").status_code == 404
    victim = load_member(work, theirs, "someone@other.test")
    answer = http.post(
        f"/orgs/{theirs.public_id}/members/{victim.scim_id}/remove",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 404
    assert load_member(work, theirs, victim.email).state == MemberState.PROVISIONED


def test_member_of_other_org_is_not_found_in_mine(
    http: httpx.Client, work: Work
) -> None:
    mine = _org(work, name="Mine")
    theirs = _org(work, "someone@other.test", name="Theirs", domains=("other.test",))
    page = sign_in(http, work, mine, "owner@example.com")
    victim = load_member(work, theirs, "someone@other.test")

    answer = http.post(
        f"/orgs/{mine.public_id}/members/{victim.scim_id}/remove",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 404
    assert load_member(work, theirs, victim.email).state == MemberState.PROVISIONED


def test_member_sees_team_read_only_and_cannot_post(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work, "plain@example.com")
    team = sign_in(http, work, org, "plain@example.com")

    assert team.status_code == 200
    assert "plain@example.com (member)" in team.text
    assert "/role" not in team.text and "/remove" not in team.text
    assert "Domain Access" not in team.text
    for path in ("sso", "logs"):
        assert http.get(f"/orgs/{org.public_id}/{path}").status_code == 403

    plain = load_member(work, org, "plain@example.com")
    token = csrf_of(team.text)  # the sign-out form's token
    for path in (
        f"/orgs/{org.public_id}/scim/tokens",
        f"/orgs/{org.public_id}/members/{plain.scim_id}/role",
    ):
        answer = http.post(path, data={"csrf_token": token, "role": "owner"})
        assert answer.status_code == 403
        assert "owners and admins" in answer.text
    assert load_member(work, org, "plain@example.com").role == Role.MEMBER
    with work() as db:
        assert orgs.list_tokens(db, orgs.get_org(db, org.public_id)) == []


def test_forged_post_without_csrf_token_is_refused(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work, "target@example.com")
    sign_in(http, work, org, "owner@example.com")
    target = load_member(work, org, "target@example.com")

    for data in ({}, {"csrf_token": "f" * 64}, {"csrf_token": ""}):
        answer = http.post(
            f"/orgs/{org.public_id}/members/{target.scim_id}/role",
            data={**data, "role": "admin"},
        )
        assert answer.status_code == 403
        assert "did not come from this site" in answer.text
    assert http.post(f"/orgs/{org.public_id}/scim/tokens").status_code == 403
    assert load_member(work, org, "target@example.com").role == Role.MEMBER
    with work() as db:
        assert orgs.list_tokens(db, orgs.get_org(db, org.public_id)) == []


def test_csrf_token_of_another_session_is_refused(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work, "target@example.com")
    sign_in(http, work, org, "owner@example.com")
    with httpx.Client(base_url=str(http.base_url)) as other:
        stolen = csrf_of(sign_in(other, work, org, "owner@example.com").text)
    target = load_member(work, org, "target@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{target.scim_id}/role",
        data={"csrf_token": stolen, "role": "admin"},
    )
    assert answer.status_code == 403
    assert load_member(work, org, "target@example.com").role == Role.MEMBER


def test_admin_cannot_grant_ownership(http: httpx.Client, work: Work) -> None:
    """An admin manages the team, but only an owner makes or unmakes owners."""
    org = _org(work, "admin@example.com")
    _set_role(work, org, "admin@example.com", Role.ADMIN)
    page = sign_in(http, work, org, "admin@example.com")
    admin = load_member(work, org, "admin@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{admin.scim_id}/role",
        data={"csrf_token": csrf_of(page.text), "role": "owner"},
    )
    assert answer.status_code == 403
    assert "only an owner" in answer.text
    assert load_member(work, org, "admin@example.com").role == Role.ADMIN


def test_pages_carry_security_headers(http: httpx.Client, work: Work) -> None:
    org = _org(work)
    sign_in(http, work, org, "owner@example.com")
    for path in ("/", f"/orgs/{org.public_id}/team", f"/orgs/{org.public_id}/sso"):
        headers = http.get(path, follow_redirects=True).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(http: httpx.Client, work: Work) -> None:
    org = _org(work)
    sign_in(http, work, org, "owner@example.com")
    for path in ("team", "sso", "logs"):
        html = http.get(f"/orgs/{org.public_id}/{path}").text
        assert "<script>" not in html and "<style" not in html
        assert " style=" not in html and " onclick=" not in html


def test_sign_out_ends_the_session(http: httpx.Client, work: Work) -> None:
    org = _org(work)
    team = sign_in(http, work, org, "owner@example.com")
    answer = http.post("/sign-out", data={"csrf_token": csrf_of(team.text)})
    assert answer.status_code == 303
    assert http.get(f"/orgs/{org.public_id}/team").status_code == 303


def test_malformed_posts_get_a_page_not_a_server_error(
    http: httpx.Client, work: Work
) -> None:
    org = _org(work)
    page = sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/sso/metadata"
    bodies: list[dict[str, object]] = [
        {"json": {"csrf_token": csrf_of(page.text)}},
        {
            "content": b"--x\r\nbroken",
            "headers": {"content-type": "multipart/form-data; boundary=x"},
        },
        {"content": b"\xff\xfe%%%", "headers": {"content-type": "text/plain"}},
        {
            "data": {"csrf_token": csrf_of(page.text), "metadata_file": "not a file"},
        },
    ]
    for body in bodies:
        answer = http.post(url, **body)  # type: ignore[arg-type]
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert "text/html" in answer.headers["content-type"]
