"""Transport and form security headers: HSTS behind an https public URL, and
forms that may post only to this site, except the SAML hand-over page, which
may also post to the org's IdP."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from rollcall.app import create_app
from rollcall.config import Settings
from rollcall.domain import orgs
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import parse_idp_metadata
from tests.conftest import LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import sign_in
from tests.factories import OPERATOR, make_org
from tests.saml.idp import POST, TestIdP


@pytest.fixture
def https_server(settings: Settings) -> Iterator[LiveServer]:
    https = settings.model_copy(update={"public_url": "https://rollcall.example.test"})
    application: FastAPI = create_app(https)
    with LiveServer(application) as live:
        yield live
    application.state.engine.dispose()


def test_https_public_url_sends_strict_transport_security(
    https_server: LiveServer,
) -> None:
    with httpx.Client(base_url=https_server.url) as client:
        for path in ("/", "/healthz", "/no-such-page"):
            hsts = client.get(path).headers.get("strict-transport-security", "")
            assert hsts.startswith("max-age=")
            assert int(hsts.split("=")[1].split(";")[0]) >= 15552000


def test_http_public_url_sends_no_strict_transport_security(
    http: httpx.Client,
) -> None:
    assert "strict-transport-security" not in http.get("/").headers


def test_pages_may_post_forms_only_to_this_site(http: httpx.Client, work: Work) -> None:
    with work() as db:
        org = make_org(db)
    sign_in(http, work, org, "owner@example.com")

    for path in ("/", f"/orgs/{org.public_id}/team", f"/orgs/{org.public_id}/sso"):
        csp = http.get(path, follow_redirects=True).headers["content-security-policy"]
        assert "form-action 'self'" in [d.strip() for d in csp.split(";")]


def test_post_binding_hand_over_page_may_post_to_the_idp_only(
    http: httpx.Client, work: Work, idp_key: KeyPair
) -> None:
    idp = TestIdP(idp_key, sso_url="https://idp.example.test/saml/sso?x=1")
    with work() as db:
        org = make_org(db, sso=False, provisioning=False)
        idp_settings = parse_idp_metadata(idp.metadata(bindings=(POST,)))
        orgs.configure_sso(db, org, idp_settings, OPERATOR)

    page = http.get(f"/sso/{org.public_id}/login")

    assert page.status_code == 200
    assert 'action="https://idp.example.test/saml/sso?x=1"' in page.text
    csp = page.headers["content-security-policy"]
    directives = [d.strip() for d in csp.split(";")]
    assert "form-action 'self' https://idp.example.test" in directives
    assert "frame-ancestors 'none'" in directives
