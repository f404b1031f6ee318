"""Signing in through the ACS over real HTTP with JumpCloud-, Okta- and
Entra-shaped responses, signed for real."""

import logging
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from rollcall.domain import orgs
from rollcall.saml import assertions
from rollcall.saml.routes import safe_path
from rollcall.storage.models import Member, MemberState, Org, Role
from tests.conftest import LiveServer
from tests.factories import OPERATOR
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login


def members_of(work: Work, org: Org) -> list[Member]:
    with work() as db:
        query = select(Member).where(Member.org_id == org.id).order_by(Member.id)
        return list(db.scalars(query))


def test_jumpcloud_response_creates_member_and_session(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.jumpcloud(test_idp, org.public_id, "Grace@Example.com", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/orgs/{org.public_id}/team"
    [member] = members_of(work, org)
    assert (member.email, member.state, member.role) == (
        "Grace@Example.com",
        MemberState.ACTIVE,
        Role.MEMBER,
    )
    session = http.get("/api/session")
    assert session.status_code == 200
    assert session.json() == {
        "member": {
            "id": member.scim_id,
            "email": "Grace@Example.com",
            "given_name": None,
            "family_name": None,
            "display_name": "Grace@Example.com",
            "role": "member",
        },
        "org": {"id": org.public_id, "name": org.name},
    }


def test_okta_response_signed_as_a_whole_creates_member_with_names(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.okta(
        test_idp, org.public_id, "ada@example.com", "Ada", "Lovelace", request_id
    )

    answer = post_acs(http, org.public_id, xml)

    assert answer.status_code == 303, answer.text
    [member] = members_of(work, org)
    assert (member.email, member.given_name, member.family_name) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    body = http.get("/api/session").json()
    assert body["member"]["display_name"] == "Ada Lovelace"


def test_entra_response_takes_email_and_names_from_claims(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.entra(
        test_idp, org.public_id, "alan@example.com", "Alan", "Turing", request_id
    )

    answer = post_acs(http, org.public_id, xml)

    assert answer.status_code == 303, answer.text
    [member] = members_of(work, org)
    assert (member.email, member.given_name, member.family_name) == (
        "alan@example.com",
        "Alan",
        "Turing",
    )


@pytest.mark.parametrize(
    ("claim", "given_claim"),
    [
        ("mail", "givenName"),
        ("urn:oid:0.9.2342.19200300.100.1.3", "urn:oid:2.5.4.42"),
        ("User.email", "User.FirstName"),
    ],
)
def test_email_and_names_are_found_under_common_claim_names(
    http: httpx.Client,
    work: Work,
    org: Org,
    test_idp: TestIdP,
    claim: str,
    given_claim: str,
) -> None:
    request_id = start_login(http, org.public_id)
    spec = shapes.spec(
        test_idp,
        org.public_id,
        "opaque-id-42",
        name_id_format=assertions.PERSISTENT_FORMAT,
        in_response_to=request_id,
        attributes={claim: ["lin@example.com"], given_claim: ["Lin"]},
    )

    answer = post_acs(
        http, org.public_id, assertions.signed_response(spec, test_idp.keys)
    )

    assert answer.status_code == 303, answer.text
    [member] = members_of(work, org)
    assert (member.email, member.given_name) == ("lin@example.com", "Lin")


def test_response_signed_twice_is_accepted(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    spec = shapes.spec(
        test_idp, org.public_id, "both@example.com", in_response_to=request_id
    )
    xml = assertions.signed_response(spec, test_idp.keys, sign_response=True)

    assert post_acs(http, org.public_id, xml).status_code == 303
    assert [m.email for m in members_of(work, org)] == ["both@example.com"]


def test_second_sign_in_reuses_the_member(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    for _ in range(2):
        request_id = start_login(http, org.public_id)
        xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)
        assert post_acs(http, org.public_id, xml).status_code == 303

    assert [m.email for m in members_of(work, org)] == ["ada@example.com"]


def test_sign_in_returns_to_the_safe_path_given_at_login(
    http: httpx.Client, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id, next_path="/orgs/x/settings?tab=2")
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)

    answer = post_acs(http, org.public_id, xml, relay_state="/ignored")

    assert answer.headers["location"] == "/orgs/x/settings?tab=2"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/x"]
)
def test_login_never_redirects_off_site_after_sign_in(
    http: httpx.Client, org: Org, test_idp: TestIdP, target: str
) -> None:
    request_id = start_login(http, org.public_id, next_path=target)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert answer.headers["location"] == f"/orgs/{org.public_id}/team"


def test_idp_initiated_relay_state_to_another_site_is_ignored(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    with work() as db:
        orgs.set_idp_initiated(db, db.merge(org), True, OPERATOR)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com")

    answer = post_acs(http, org.public_id, xml, relay_state="https://evil.example/")

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/orgs/{org.public_id}/team"


def test_idp_initiated_sign_in_follows_a_safe_relay_state_when_switched_on(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    with work() as db:
        orgs.set_idp_initiated(db, db.merge(org), True, OPERATOR)
    xml = shapes.okta(test_idp, org.public_id, "ada@example.com", "Ada", "L")

    answer = post_acs(http, org.public_id, xml, relay_state="/welcome")

    assert (answer.status_code, answer.headers["location"]) == (303, "/welcome")
    assert [m.email for m in members_of(work, org)] == ["ada@example.com"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/orgs/a/team", "/orgs/a/team"),
        ("/a?b=c#d", "/a?b=c#d"),
        (None, None),
        ("", None),
        ("relative", None),
        ("https://evil.example", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/a b", None),
        ("/a\nb", None),
        ("/" + "a" * 2000, None),
    ],
)
def test_safe_path_keeps_only_paths_on_this_site(
    value: str | None, expected: str | None
) -> None:
    assert safe_path(value) == expected


def test_sign_out_ends_the_session(
    http: httpx.Client, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)
    post_acs(http, org.public_id, xml)
    assert http.get("/api/session").status_code == 200

    answer = http.post("/sso/logout")

    assert answer.status_code == 200
    assert "signed out" in answer.text
    assert http.get("/api/session").status_code == 401


def test_api_session_without_cookie_is_401_json(http: httpx.Client) -> None:
    answer = http.get("/api/session")

    assert answer.status_code == 401
    assert answer.json() == {"detail": "not signed in"}


def test_session_cookie_is_http_only_and_lax(
    http: httpx.Client, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)

    cookie = post_acs(http, org.public_id, xml).headers["set-cookie"].lower()

    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_no_saml_message_or_email_reaches_the_logs(
    http: httpx.Client, org: Org, test_idp: TestIdP
) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        request_id = start_login(http, org.public_id)
        xml = shapes.jumpcloud(
            test_idp, org.public_id, "secret.person@example.com", request_id
        )
        post_acs(http, org.public_id, xml)
        post_acs(http, org.public_id, xml)  # refused as a replay: logged too
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    logged = " ".join(repr(vars(r)) for r in records)
    assert "sso sign-in" in logged
    assert "secret.person" not in logged
    assert assertions.encode(xml)[:40] not in logged
    assert "Assertion" not in logged


def test_the_same_response_posted_concurrently_signs_in_only_once(
    server: LiveServer, work: Work, org: Org, test_idp: TestIdP
) -> None:
    """The replay check lives in the database, so racing copies of one response
    (as from several instances) get one session between them."""
    with work() as db:
        orgs.set_idp_initiated(db, db.merge(org), True, OPERATOR)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com")

    def post_once(_: int) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            return post_acs(client, org.public_id, xml).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(post_once, range(4)))

    assert statuses == [303, 403, 403, 403]
    assert [m.email for m in members_of(work, org)] == ["ada@example.com"]
