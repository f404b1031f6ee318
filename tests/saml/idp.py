"""A small identity provider for the tests: metadata and signed SAML responses.

It writes the XML the way JumpCloud, Okta and Entra ID shape theirs and signs it
for real (RSA-SHA256 by default) with keys made for the test run.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from rollcall.saml.keys import KeyPair

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
