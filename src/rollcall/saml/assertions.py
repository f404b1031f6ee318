"""SAML Responses as an identity provider writes them, signed for real.

The development IdP uses this to sign people in during a demo, and the tests use
it to play JumpCloud, Okta and Entra ID. Values are escaped; signatures are made
by :func:`rollcall.saml.sp.sign_xml` (RSA-SHA256 unless asked otherwise).
"""

import base64
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import sign_xml

EMAIL_FORMAT: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED_FORMAT: Final = "urn:oasis:names:tc:SAML:1.0:nameid-format:unspecified"
PERSISTENT_FORMAT: Final = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
AUTHN_CONTEXT: Final = (
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
)
NAMESPACES: Final = (
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


@dataclass(frozen=True)
class ResponseSpec:
    """What a response says: who signed in, for which SP, and when."""

    issuer: str
    acs_url: str
    audience: str
    name_id: str
    name_id_format: str = EMAIL_FORMAT
    in_response_to: str | None = None
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    issued_at: datetime | None = None
    lifetime: timedelta = timedelta(minutes=5)


def new_id() -> str:
    """A fresh SAML ID (an XML NCName, so it starts with an underscore)."""
    return "_" + secrets.token_hex(20)


def saml_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion_xml(spec: ResponseSpec, assertion_id: str) -> str:
    """The unsigned Assertion of ``spec``."""
    issued = spec.issued_at or datetime.now(UTC)
    until = saml_time(issued + spec.lifetime)
    answer = (
        f" InResponseTo={quoteattr(spec.in_response_to)}" if spec.in_response_to else ""
    )
    return (
        f'<saml:Assertion {NAMESPACES} ID="{assertion_id}" Version="2.0" '
        f'IssueInstant="{saml_time(issued)}">'
        f"<saml:Issuer>{escape(spec.issuer)}</saml:Issuer>"
        "<saml:Subject>"
        f"<saml:NameID Format={quoteattr(spec.name_id_format)}>"
        f"{escape(spec.name_id)}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" '
        f"Recipient={quoteattr(spec.acs_url)}{answer}/>"
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{saml_time(issued)}" NotOnOrAfter="{until}">'
        "<saml:AudienceRestriction>"
        f"<saml:Audience>{escape(spec.audience)}</saml:Audience>"
        "</saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{saml_time(issued)}" '
        f'SessionIndex="{new_id()}"><saml:AuthnContext>'
        f"<saml:AuthnContextClassRef>{AUTHN_CONTEXT}</saml:AuthnContextClassRef>"
        "</saml:AuthnContext></saml:AuthnStatement>"
        f"{_attribute_statement(spec.attributes)}"
        "</saml:Assertion>"
    )


def response_xml(spec: ResponseSpec, assertion: str, response_id: str) -> str:
    """The unsigned Response of ``spec`` around ``assertion`` (signed or not)."""
    issued = spec.issued_at or datetime.now(UTC)
    answer = (
        f" InResponseTo={quoteattr(spec.in_response_to)}" if spec.in_response_to else ""
    )
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{response_id}" Version="2.0" IssueInstant="{saml_time(issued)}" '
        f"Destination={quoteattr(spec.acs_url)}{answer}>"
        f"<saml:Issuer>{escape(spec.issuer)}</saml:Issuer>"
        "<samlp:Status>"
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        "</samlp:Status>"
        f"{assertion}</samlp:Response>"
    )


def signed_response(
    spec: ResponseSpec,
    keys: KeyPair,
    *,
    sign_assertion: bool = True,
    sign_response: bool = False,
    sha1: bool = False,
) -> str:
    """A Response for ``spec`` with the chosen signatures made by ``keys``."""
    assertion = assertion_xml(spec, new_id())
    if sign_assertion:
        assertion = _strip_declaration(
            sign_xml(assertion, keys.key_pem, keys.cert_pem, sha1=sha1)
        )
    response = response_xml(spec, assertion, new_id())
    if sign_response:
        response = sign_xml(response, keys.key_pem, keys.cert_pem, sha1=sha1)
    return _strip_declaration(response)


def _attribute_statement(attributes: Mapping[str, Sequence[str]]) -> str:
    if not attributes:
        return ""
    parts = []
    for name, values in attributes.items():
        parts.append(f"<saml:Attribute Name={quoteattr(name)}>")
        parts.extend(
            f'<saml:AttributeValue xsi:type="xs:string">{escape(v)}'
            "</saml:AttributeValue>"
            for v in values
        )
        parts.append("</saml:Attribute>")
    return f"<saml:AttributeStatement>{''.join(parts)}</saml:AttributeStatement>"


def _strip_declaration(xml: str) -> str:
    if xml.startswith("<?xml"):
        return xml.split("?>", 1)[1].lstrip()
    return xml


def encode(response: str) -> str:
    """The ``SAMLResponse`` form value: base64 of the XML (HTTP-POST binding)."""
    return base64.b64encode(response.encode("utf-8")).decode("ascii")
