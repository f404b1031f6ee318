"""A small identity provider for the tests: metadata and signed SAML responses.

It writes the XML the way JumpCloud, Okta and Entra ID shape theirs and signs it
for real (RSA-SHA256 by default) with keys made for the test run.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from rollcall.saml import assertions
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import read_authn_request, sign_xml

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@dataclass
class TestIdP:
    """An IdP with an entity id, an SSO URL and a current signing key."""

    __test__ = False  # not a test class, despite its name

    keys: KeyPair
    entity_id: str = "https://idp.example.test/saml/metadata"
    sso_url: str = "https://idp.example.test/saml/sso"

    def metadata(
        self,
        *,
        certs: Sequence[KeyPair] | None = None,
        bindings: Sequence[str] = (REDIRECT,),
    ) -> str:
        """IdP metadata listing ``certs`` (default: the current key) for signing."""
        return metadata_xml(
            self.entity_id,
            [(b, self.sso_url) for b in bindings],
            [k.cert_base64 for k in (certs or [self.keys])],
        )


def metadata_xml(
    entity_id: str,
    services: Sequence[tuple[str, str]],
    certs: Sequence[str],
    *,
    use: str | None = "signing",
) -> str:
    use_attr = f' use="{use}"' if use else ""
    keys = "".join(
        f"<md:KeyDescriptor{use_attr}><ds:KeyInfo><ds:X509Data>"
        f"<ds:X509Certificate>{cert}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for cert in certs
    )
    sso = "".join(
        f'<md:SingleSignOnService Binding="{binding}" Location="{url}"/>'
        for binding, url in services
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{entity_id}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        "<md:NameIDFormat>"
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        "</md:NameIDFormat>"
        f"{sso}"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


PUBLIC_URL = "http://127.0.0.1"  # the public_url of the test settings
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def acs_url(org_id: str) -> str:
    return f"{PUBLIC_URL}/sso/{org_id}/acs"


def sp_entity_id(org_id: str) -> str:
    return f"{PUBLIC_URL}/sso/{org_id}/metadata"


def spec(
    idp: "TestIdP",
    org_id: str,
    name_id: str,
    *,
    name_id_format: str = assertions.EMAIL_FORMAT,
    in_response_to: str | None = None,
    attributes: Mapping[str, Sequence[str]] | None = None,
    issued_at: datetime | None = None,
    lifetime: timedelta = timedelta(minutes=5),
) -> assertions.ResponseSpec:
    """A response of ``idp`` addressed to the org's ACS and SP entity id."""
    return assertions.ResponseSpec(
        issuer=idp.entity_id,
        acs_url=acs_url(org_id),
        audience=sp_entity_id(org_id),
        name_id=name_id,
        name_id_format=name_id_format,
        in_response_to=in_response_to,
        attributes=attributes or {},
        issued_at=issued_at,
        lifetime=lifetime,
    )


def jumpcloud(
    idp: "TestIdP", org_id: str, email: str, in_response_to: str | None = None
) -> str:
    """JumpCloud's shape: assertion signed, response not; the email as an
    unspecified-format NameID; no attributes."""
    return assertions.signed_response(
        spec(
            idp,
            org_id,
            email,
            name_id_format=assertions.UNSPECIFIED_FORMAT,
            in_response_to=in_response_to,
        ),
        idp.keys,
    )


def okta(
    idp: "TestIdP",
    org_id: str,
    email: str,
    given: str,
    family: str,
    in_response_to: str | None = None,
) -> str:
    """Okta's shape: response signed, emailAddress NameID, firstName/lastName."""
    attributes = {"firstName": [given], "lastName": [family], "email": [email]}
    return assertions.signed_response(
        spec(idp, org_id, email, in_response_to=in_response_to, attributes=attributes),
        idp.keys,
        sign_assertion=False,
        sign_response=True,
    )


def entra(
    idp: "TestIdP",
    org_id: str,
    email: str,
    given: str,
    family: str,
    in_response_to: str | None = None,
) -> str:
    """Entra ID's shape: an opaque persistent NameID; email and names as claims
    under the xmlsoap.org claim namespace; assertion signed."""
    attributes = {
        f"{CLAIMS}emailaddress": [email],
        f"{CLAIMS}givenname": [given],
        f"{CLAIMS}surname": [family],
        f"{CLAIMS}name": [email],
        "http://schemas.microsoft.com/identity/claims/objectidentifier": [
            "5c0c4cbb-1f4e-4a3b-9d0a-2d8d3b9a7f11"
        ],
    }
    return assertions.signed_response(
        spec(
            idp,
            org_id,
            "AAAAAAAAAAAAAAAAAAAAAF3Wm8lTsm4Wc1dnc8hD4Ms",
            name_id_format=assertions.PERSISTENT_FORMAT,
            in_response_to=in_response_to,
            attributes=attributes,
        ),
        idp.keys,
    )


def start_login(http: httpx.Client, org_id: str, next_path: str | None = None) -> str:
    """Begin an SP-initiated sign-in over HTTP; return the AuthnRequest's ID."""
    params = {"next": next_path} if next_path is not None else {}
    answer = http.get(f"/sso/{org_id}/login", params=params)
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return read_authn_request(query["SAMLRequest"][0]).request_id


def post_acs(
    http: httpx.Client, org_id: str, xml: str, relay_state: str | None = None
) -> httpx.Response:
    """Post a response to the org's ACS as a browser would (HTTP-POST binding)."""
    form = {"SAMLResponse": assertions.encode(xml)}
    if relay_state is not None:
        form["RelayState"] = relay_state
    return http.post(f"/sso/{org_id}/acs", data=form)


def sign(xml: str, keys: KeyPair, *, sha1: bool = False) -> str:
    """Sign the root element of ``xml`` with ``keys``."""
    return sign_xml(xml, keys.key_pem, keys.cert_pem, sha1=sha1)


def response_around(
    response_spec: assertions.ResponseSpec, assertion: str, keys: KeyPair | None = None
) -> str:
    """A Response for ``response_spec`` holding ``assertion`` as given; signed by
    ``keys`` when they are given."""
    xml = assertions.response_xml(response_spec, assertion, assertions.new_id())
    return sign(xml, keys) if keys is not None else xml


def signed_assertion(assertion_spec: assertions.ResponseSpec, keys: KeyPair) -> str:
    return sign(assertions.assertion_xml(assertion_spec, assertions.new_id()), keys)
