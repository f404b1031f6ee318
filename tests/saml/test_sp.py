"""What the IdP sees of Rollcall: SP metadata, and the AuthnRequest sent by
the SP-initiated login link (HTTP-Redirect and HTTP-POST bindings)."""

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from lxml import etree
from sqlalchemy import select

from rollcall.domain import orgs
from rollcall.saml.sp import parse_idp_metadata, read_authn_request
from rollcall.storage.models import Org, SamlRequest
from tests.factories import OPERATOR, make_org
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import POST, TestIdP

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def test_sp_metadata_names_entity_id_and_post_acs(http: httpx.Client, org: Org) -> None:
    answer = http.get(f"/sso/{org.public_id}/metadata")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(answer.content)
    assert root.get("entityID") == shapes.sp_entity_id(org.public_id)
    acs = root.find(f"{MD}SPSSODescriptor/{MD}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == shapes.acs_url(org.public_id)
    assert acs.get("Binding") == POST
    assert root.get("validUntil") is None


def test_sp_metadata_is_served_before_the_idp_is_configured(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        bare = make_org(db, name="Bare", sso=False, provisioning=False)

    answer = http.get(f"/sso/{bare.public_id}/metadata")

    assert answer.status_code == 200
    assert shapes.acs_url(bare.public_id) in answer.text


def test_sp_metadata_of_unknown_org_is_a_404_page(http: httpx.Client) -> None:
    answer = http.get("/sso/ffffffffffffffff/metadata")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


def test_login_redirects_to_the_idp_with_a_request_it_remembers(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    answer = http.get(f"/sso/{org.public_id}/login", params={"next": "/home"})

    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == test_idp.sso_url
    request = read_authn_request(parse_qs(location.query)["SAMLRequest"][0])
    assert request.issuer == shapes.sp_entity_id(org.public_id)
    assert request.acs_url == shapes.acs_url(org.public_id)
    with work() as db:
        stored = db.get(SamlRequest, request.request_id)
        assert stored is not None
        assert (stored.org_id, stored.relay_state) == (org.id, "/home")
        lifetime = stored.expires_at - datetime.now(UTC)
        assert timedelta(minutes=15) < lifetime <= timedelta(minutes=20)


def test_login_does_not_store_an_off_site_return_path(
    http: httpx.Client, work: Work, org: Org
) -> None:
    http.get(f"/sso/{org.public_id}/login", params={"next": "https://evil.example/"})

    with work() as db:
        stored = db.scalars(select(SamlRequest.relay_state)).one()
    assert stored is None


def test_login_with_post_binding_posts_the_request_without_inline_script(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    with work() as db:
        current = orgs.get_org(db, org.public_id)
        idp = parse_idp_metadata(test_idp.metadata(bindings=[POST]))
        orgs.configure_sso(db, current, idp, OPERATOR)

    answer = http.get(f"/sso/{org.public_id}/login")

    assert answer.status_code == 200
    assert f'action="{test_idp.sso_url}"' in answer.text
    value = re.search(r'name="SAMLRequest" value="([^"]+)"', answer.text)
    assert value is not None
    xml = base64.b64decode(value.group(1))
    assert b"AuthnRequest" in xml
    assert shapes.acs_url(org.public_id).encode() in xml
    assert '<script src="/static/autopost.js"></script>' in answer.text
    assert "<script>" not in answer.text
    assert "<noscript>" in answer.text
    assert http.get("/static/autopost.js").status_code == 200


def test_login_of_an_org_without_sso_says_it_is_not_set_up(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        bare = make_org(db, name="Bare", sso=False, provisioning=False)

    answer = http.get(f"/sso/{bare.public_id}/login")

    assert answer.status_code == 409
    assert "not set up" in answer.text


def test_development_idp_is_absent_by_default(http: httpx.Client) -> None:
    for path in ("/dev-idp/metadata", "/dev-idp/sso"):
        assert http.get(path).status_code == 404
    assert http.post("/dev-idp/sso", data={"email": "a@example.com"}).status_code == 404
