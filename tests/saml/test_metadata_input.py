"""IdP metadata whose SSO URL could break out of the AuthnRequest, or whose
text is not UTF-8, is refused with a message that says what to fix."""

import httpx
import pytest

from rollcall.errors import InvalidInputError
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import parse_idp_metadata
from tests.dashboard.helpers import csrf_of, sign_in
from tests.factories import make_org
from tests.saml.conftest import Work
from tests.saml.idp import REDIRECT, TestIdP, metadata_xml

BAD_URLS = [
    'https://idp.example.test/sso" Foo="bar',
    "https://idp.example.test/sso<x>",
    "https://idp.example.test/s so",
    "javascript:alert(1)",
    "ftp://idp.example.test/sso",
    "https:///no-host",
    "https://idp.example.test/sso\\evil",
]


def _metadata(idp_keys: KeyPair, url: str) -> str:
    escaped = url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return metadata_xml(
        "https://idp.example.test/metadata",
        [(REDIRECT, escaped.replace(">", "&gt;"))],
        [idp_keys.cert_base64],
    )


@pytest.mark.parametrize("url", BAD_URLS)
def test_sso_url_that_is_not_a_plain_http_url_is_refused(
    idp_keys: KeyPair, url: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_idp_metadata(_metadata(idp_keys, url))

    assert "SSO URL" in raised.value.detail


def test_plain_sso_url_with_a_query_is_accepted(idp_keys: KeyPair) -> None:
    url = "https://idp.example.test/sso?app=rollcall&x=1"
    assert parse_idp_metadata(_metadata(idp_keys, url)).sso_url == url


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16", "windows-1252"])
def test_metadata_declared_in_another_encoding_asks_for_utf8(
    idp_keys: KeyPair, encoding: str
) -> None:
    xml = _metadata(idp_keys, "https://idp.example.test/sso").replace(
        'encoding="UTF-8"', f'encoding="{encoding}"'
    )

    with pytest.raises(InvalidInputError) as raised:
        parse_idp_metadata(xml)

    assert "UTF-8" in raised.value.detail


def test_utf16_metadata_upload_is_refused_asking_for_utf8(
    http: httpx.Client, work: Work, idp_keys: KeyPair
) -> None:
    with work() as db:
        org = make_org(db, sso=False, provisioning=False)
    page = sign_in(http, work, org, "owner@example.com")
    xml = _metadata(idp_keys, "https://idp.example.test/sso").replace(
        'encoding="UTF-8"', 'encoding="UTF-16"'
    )
    sso_page = http.get(f"/orgs/{org.public_id}/sso")
    assert page.status_code == 200

    answer = http.post(
        f"/orgs/{org.public_id}/sso/metadata",
        data={"csrf_token": csrf_of(sso_page.text)},
        files={"metadata_file": ("idp.xml", xml.encode("utf-16"), "text/xml")},
    )

    assert answer.status_code == 400
    assert "save it as UTF-8" in answer.text


def test_test_idp_metadata_still_parses(test_idp: TestIdP) -> None:
    assert parse_idp_metadata(test_idp.metadata()).sso_url == test_idp.sso_url
