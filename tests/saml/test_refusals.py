"""Every refused sign-in: a readable page saying why, an ``sso.refused`` audit
entry with the reason (and nothing of the assertion), and no member created."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from rollcall.domain import orgs
from rollcall.saml import assertions
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import parse_idp_metadata
from rollcall.storage.models import AuditEntry, Member, Org
from tests.factories import OPERATOR, make_org
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login


def member_emails(work: Work, org: Org) -> list[str]:
    with work() as db:
        return list(db.scalars(select(Member.email).where(Member.org_id == org.id)))


def refusals(work: Work, org: Org) -> list[dict[str, object]]:
    with work() as db:
        query = select(AuditEntry).where(
            AuditEntry.org_id == org.id, AuditEntry.action == "sso.refused"
        )
        return [entry.detail for entry in db.scalars(query)]


def assert_refused(
    answer: httpx.Response,
    work: Work,
    org: Org,
    reason: str,
    *,
    words: str,
    status: int = 403,
    members: tuple[str, ...] = (),
) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert words in answer.text
    assert "Traceback" not in answer.text
    assert refusals(work, org) == [{"reason": reason}]
    assert sorted(member_emails(work, org)) == sorted(members)
    assert "set-cookie" not in answer.headers


@pytest.fixture
def request_id(http: httpx.Client, org: Org) -> str:
    return start_login(http, org.public_id)


def test_unsigned_response_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    xml = assertions.signed_response(spec, test_idp.keys, sign_assertion=False)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "unsigned", words="not signed")


def test_response_signed_by_a_key_not_in_the_metadata_is_refused(
    http: httpx.Client,
    work: Work,
    org: Org,
    test_idp: TestIdP,
    stranger_keys: KeyPair,
    request_id: str,
) -> None:
    stranger = TestIdP(stranger_keys, entity_id=test_idp.entity_id)
    xml = shapes.jumpcloud(stranger, org.public_id, "ada@example.com", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "bad_signature", words="signature")


def test_assertion_changed_after_signing_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    xml = shapes.jumpcloud(test_idp, org.public_id, "eve@example.com", request_id)
    forged = xml.replace("eve@example.com", "ceo@example.com")

    answer = post_acs(http, org.public_id, forged)

    assert_refused(answer, work, org, "bad_signature", words="signature")


def test_signature_wrapping_with_a_second_unsigned_assertion_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    """The attacker's own signed assertion rides along, while an unsigned one
    for the victim comes first (XML signature wrapping)."""
    own = shapes.spec(
        test_idp, org.public_id, "eve@example.com", in_response_to=request_id
    )
    victim = replace(own, name_id="ceo@example.com")
    evil = assertions.assertion_xml(victim, assertions.new_id())
    xml = shapes.response_around(
        own, evil + shapes.signed_assertion(own, test_idp.keys)
    )

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "assertion_count", words="exactly one assertion")


def test_signed_assertion_hidden_inside_an_unsigned_one_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    own = shapes.spec(
        test_idp, org.public_id, "eve@example.com", in_response_to=request_id
    )
    victim = assertions.assertion_xml(
        replace(own, name_id="ceo@example.com"), assertions.new_id()
    )
    hidden = shapes.signed_assertion(own, test_idp.keys)
    wrapped = victim.replace(
        "<saml:Subject>", f"<saml:Advice>{hidden}</saml:Advice><saml:Subject>", 1
    )
    xml = shapes.response_around(own, wrapped)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "assertion_count", words="exactly one assertion")


def test_comment_inside_name_id_does_not_truncate_the_email(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    """The IdP vouches for ``ceo@example.com.evil.test``; a comment slipped in
    after signing must not make it read as ``ceo@example.com``."""
    xml = shapes.jumpcloud(
        test_idp, org.public_id, "ceo@example.com.evil.test", request_id
    )
    tricked = xml.replace(
        "ceo@example.com.evil.test", "ceo@example.com<!---->.evil.test"
    )
    assert tricked != xml

    answer = post_acs(http, org.public_id, tricked)

    assert_refused(answer, work, org, "domain", words="not on a domain")
    assert "ceo@example.com.evil.test" in answer.text


@pytest.mark.parametrize(
    ("issued", "reason", "words"),
    [
        pytest.param(timedelta(hours=-1), "expired", "expired", id="expired"),
        pytest.param(
            timedelta(minutes=10), "not_yet_valid", "not valid yet", id="not-yet-valid"
        ),
        # 200 s ahead passes the library's fixed 300 s drift but not our 120 s skew.
        pytest.param(
            timedelta(seconds=200),
            "not_yet_valid",
            "not valid yet",
            id="beyond-our-clock-skew",
        ),
    ],
)
def test_response_outside_its_time_window_is_refused(
    http: httpx.Client,
    work: Work,
    org: Org,
    test_idp: TestIdP,
    request_id: str,
    issued: timedelta,
    reason: str,
    words: str,
) -> None:
    spec = shapes.spec(
        test_idp,
        org.public_id,
        "ada@example.com",
        in_response_to=request_id,
        issued_at=datetime.now(UTC) + issued,
    )

    answer = post_acs(
        http, org.public_id, assertions.signed_response(spec, test_idp.keys)
    )

    assert_refused(answer, work, org, reason, words=words)


def test_response_within_the_clock_skew_is_accepted(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp,
        org.public_id,
        "ada@example.com",
        in_response_to=request_id,
        issued_at=datetime.now(UTC) + timedelta(seconds=60),
    )

    answer = post_acs(
        http, org.public_id, assertions.signed_response(spec, test_idp.keys)
    )

    assert answer.status_code == 303
    assert member_emails(work, org) == ["ada@example.com"]


def test_response_for_another_audience_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    spec = replace(spec, audience="https://other-app.example.test/saml")

    answer = post_acs(
        http, org.public_id, assertions.signed_response(spec, test_idp.keys)
    )

    assert_refused(answer, work, org, "audience", words="another service")


def test_response_without_audience_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    assertion = assertions.assertion_xml(spec, assertions.new_id())
    start = assertion.index("<saml:AudienceRestriction>")
    end = assertion.index("</saml:AudienceRestriction>") + len(
        "</saml:AudienceRestriction>"
    )
    no_audience = shapes.sign(assertion[:start] + assertion[end:], test_idp.keys)

    answer = post_acs(http, org.public_id, shapes.response_around(spec, no_audience))

    assert_refused(answer, work, org, "audience", words="another service")


def test_response_for_another_orgs_recipient_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    elsewhere = replace(spec, acs_url=shapes.acs_url("0000000000000000"))
    assertion = shapes.signed_assertion(elsewhere, test_idp.keys)

    answer = post_acs(http, org.public_id, shapes.response_around(spec, assertion))

    assert_refused(answer, work, org, "recipient", words="not addressed")


def test_response_with_another_destination_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    elsewhere = replace(spec, acs_url="https://other-app.example.test/acs")
    xml = shapes.response_around(
        elsewhere, shapes.signed_assertion(spec, test_idp.keys)
    )

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "destination", words="another address")


def test_response_from_another_issuer_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    other = TestIdP(test_idp.keys, entity_id="https://other-idp.example.test/")
    xml = shapes.jumpcloud(other, org.public_id, "ada@example.com", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "issuer", words="another identity provider")


def test_replayed_idp_initiated_response_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    with work() as db:
        orgs.set_idp_initiated(db, db.merge(org), True, OPERATOR)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com")
    assert post_acs(http, org.public_id, xml).status_code == 303

    answer = post_acs(http, org.public_id, xml)

    assert_refused(
        answer, work, org, "replay", words="already used", members=("ada@example.com",)
    )


def test_replayed_sp_initiated_response_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)
    assert post_acs(http, org.public_id, xml).status_code == 303

    answer = post_acs(http, org.public_id, xml)

    assert_refused(
        answer,
        work,
        org,
        "unknown_request",
        words="start again",
        members=("ada@example.com",),
    )


def test_assertion_replayed_as_unsolicited_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    """Dropping the Response's InResponseTo does not turn an answered, signed
    assertion into a fresh unsolicited one."""
    with work() as db:
        orgs.set_idp_initiated(db, db.merge(org), True, OPERATOR)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", request_id)
    assert post_acs(http, org.public_id, xml).status_code == 303
    stripped = xml.replace(f' InResponseTo="{request_id}"', "", 1)

    answer = post_acs(http, org.public_id, stripped)

    assert answer.status_code == 403
    assert refusals(work, org) == [{"reason": "unknown_request"}]


def test_unsolicited_response_is_refused_while_idp_initiated_is_off(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com")

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "unsolicited", words="identity provider")


def test_answer_to_a_request_made_for_another_org_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, idp_keys: KeyPair
) -> None:
    with work() as db:
        other = make_org(db, name="Other", sso=False, provisioning=False)
        idp = parse_idp_metadata(test_idp.metadata())
        orgs.configure_sso(db, other, idp, OPERATOR)
    others_request = start_login(http, other.public_id)
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@example.com", others_request)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "unknown_request", words="start again")


def test_email_outside_the_sso_domains_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    xml = shapes.jumpcloud(test_idp, org.public_id, "ada@elsewhere.test", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "domain", words="not on a domain")


def test_response_without_any_email_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp,
        org.public_id,
        "opaque-42",
        name_id_format=assertions.PERSISTENT_FORMAT,
        in_response_to=request_id,
        attributes={"firstName": ["Ada"]},
    )

    answer = post_acs(
        http, org.public_id, assertions.signed_response(spec, test_idp.keys)
    )

    assert_refused(answer, work, org, "no_email", words="did not send an email")


@pytest.mark.parametrize(
    "signed", ["assertion", "response"], ids=["sha1-assertion", "sha1-response"]
)
def test_sha1_signature_is_refused(
    http: httpx.Client,
    work: Work,
    org: Org,
    test_idp: TestIdP,
    request_id: str,
    signed: str,
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    xml = assertions.signed_response(
        spec,
        test_idp.keys,
        sign_assertion=signed == "assertion",
        sign_response=signed == "response",
        sha1=True,
    )

    answer = post_acs(http, org.public_id, xml)

    assert_refused(answer, work, org, "deprecated_algorithm", words="SHA-1")


def test_missing_saml_response_is_a_readable_400(
    http: httpx.Client, work: Work, org: Org
) -> None:
    answer = http.post(f"/sso/{org.public_id}/acs", data={"RelayState": "/"})

    assert_refused(
        answer, work, org, "missing", words="No sign-in response arrived", status=400
    )


@pytest.mark.parametrize(
    "value",
    [
        "%%%not-base64%%%",
        "PGZvbw==",
        "PD94bWwgdmVyc2lvbj0iMS4wIj8+PCFET0NUWVBFIGE+PGEvPg==",
    ],
)
def test_unreadable_saml_response_is_a_readable_400(
    http: httpx.Client, work: Work, org: Org, value: str
) -> None:
    answer = http.post(f"/sso/{org.public_id}/acs", data={"SAMLResponse": value})

    assert_refused(
        answer, work, org, "malformed", words="could not be read", status=400
    )


def test_acs_of_an_unknown_org_is_a_404_page(http: httpx.Client) -> None:
    answer = http.post("/sso/0123456789abcdef/acs", data={"SAMLResponse": "eA=="})

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


def test_acs_of_an_org_without_sso_is_refused(
    http: httpx.Client, work: Work, test_idp: TestIdP
) -> None:
    with work() as db:
        bare = make_org(db, name="Bare", sso=False, provisioning=False)
    xml = shapes.jumpcloud(test_idp, bare.public_id, "ada@example.com")

    answer = post_acs(http, bare.public_id, xml)

    assert_refused(answer, work, bare, "not_configured", words="not set up")


def test_oversized_saml_response_is_a_readable_400(
    http: httpx.Client, work: Work, org: Org
) -> None:
    answer = http.post(
        f"/sso/{org.public_id}/acs", data={"SAMLResponse": "A" * (1536 * 1024)}
    )

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "maximum size" in answer.text
    assert member_emails(work, org) == []


def test_saml_post_over_the_form_body_limit_is_a_readable_413(
    http: httpx.Client, work: Work, org: Org
) -> None:
    answer = http.post(
        f"/sso/{org.public_id}/acs", data={"SAMLResponse": "A" * (2 * 1024 * 1024)}
    )

    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "too large" in answer.text
    assert member_emails(work, org) == []


def test_response_reporting_an_idp_failure_is_refused(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    """Okta answers so when the person is not assigned to the app."""
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    xml = assertions.signed_response(spec, test_idp.keys).replace(
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
    )

    answer = post_acs(http, org.public_id, xml)

    assert_refused(
        answer, work, org, "idp_status", words="reported that the sign-in failed"
    )


def test_encrypted_assertion_is_refused_with_advice(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, request_id: str
) -> None:
    spec = shapes.spec(
        test_idp, org.public_id, "ada@example.com", in_response_to=request_id
    )
    encrypted = (
        "<saml:EncryptedAssertion>"
        '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">'
        "<xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData>"
        "</xenc:EncryptedData></saml:EncryptedAssertion>"
    )

    answer = post_acs(http, org.public_id, shapes.response_around(spec, encrypted))

    assert_refused(
        answer, work, org, "encrypted", words="switch assertion encryption off"
    )
