"""Adapter over python3-saml: the only module that imports ``onelogin``.

It reads IdP metadata into :class:`~rollcall.domain.orgs.IdPSettings`, builds
the per-org settings of the library, and turns the library's failures into our
errors: :class:`~rollcall.errors.InvalidInputError` for bad metadata and
:class:`SAMLError` (with a short ``reason`` code) for a refused response.
"""

import base64
import binascii
from typing import Final

import xmlsec
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, fromstring

from rollcall.domain.orgs import IdPSettings
from rollcall.errors import InvalidInputError

MAX_METADATA_BYTES: Final = 1024 * 1024
MD_NS: Final = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
ENTITY_DESCRIPTOR: Final = f"{{{MD_NS}}}EntityDescriptor"
ENTITIES_DESCRIPTOR: Final = f"{{{MD_NS}}}EntitiesDescriptor"
IDP_DESCRIPTOR: Final = f"{{{MD_NS}}}IDPSSODescriptor"
DOCTYPE_REFUSED: Final = (
    "the IdP metadata declares a DOCTYPE or entities, which Rollcall refuses for "
    "safety; export the metadata again without them"
)
SSO_BINDINGS: Final = (Constants.BINDING_HTTP_REDIRECT, Constants.BINDING_HTTP_POST)


def parse_idp_metadata(xml: str) -> IdPSettings:
    """Read the entity id, SSO URL and signing certificates of an IdP's metadata.

    The HTTP-Redirect SSO binding is preferred, HTTP-POST is the fallback. Every
    signing certificate is kept, so that an IdP can roll its key over. Nothing is
    fetched: a DOCTYPE or entity declaration is refused outright.

    :raises InvalidInputError: the text is not usable IdP metadata; the message
        says what is wrong in words an administrator understands.
    """
    if len(xml.encode("utf-8")) > MAX_METADATA_BYTES:
        raise InvalidInputError("the IdP metadata is larger than 1 MiB")
    if not xml.strip():
        raise InvalidInputError("the IdP metadata is empty")

    descriptor = _idp_entity_descriptor(_parse_xml(xml))
    entity_id = (descriptor.get("entityID") or "").strip()
    if not entity_id:
        raise InvalidInputError("the IdP metadata has no entityID")

    sso_url, binding = _sso_service(etree.tostring(descriptor))
    return IdPSettings(
        entity_id=entity_id,
        sso_url=sso_url,
        sso_binding=binding,
        certificates=_signing_certificates(descriptor),
        metadata_xml=xml,
    )


def _parse_xml(xml: str) -> etree._Element:
    # Refused before parsing, so that no parser ever sees a declaration; the
    # parser below forbids them too.
    if "<!doctype" in xml.lower() or "<!entity" in xml.lower():
        raise InvalidInputError(DOCTYPE_REFUSED)
    try:
        root: etree._Element = fromstring(
            xml.encode("utf-8"), forbid_dtd=True, forbid_entities=True
        )
    except (DTDForbidden, EntitiesForbidden) as exc:
        raise InvalidInputError(DOCTYPE_REFUSED) from exc
    except etree.XMLSyntaxError as exc:
        raise InvalidInputError(
            f"the IdP metadata is not well-formed XML ({exc.msg})"
        ) from exc
    return root


def _idp_entity_descriptor(root: etree._Element) -> etree._Element:
    if root.tag == ENTITY_DESCRIPTOR:
        candidates = [root] if root.find(IDP_DESCRIPTOR) is not None else []
    elif root.tag == ENTITIES_DESCRIPTOR:
        candidates = [
            entity
            for entity in root.iter(ENTITY_DESCRIPTOR)
            if entity.find(IDP_DESCRIPTOR) is not None
        ]
        if len(candidates) > 1:
            raise InvalidInputError(
                f"the metadata describes {len(candidates)} identity providers; "
                "upload the metadata of the one IdP this org signs in with"
            )
    else:
        raise InvalidInputError(
            "the file is XML but not SAML metadata: its root element should be an "
            "md:EntityDescriptor"
        )
    if not candidates:
        raise InvalidInputError(
            "the metadata has no IDPSSODescriptor: it does not describe an identity "
            "provider (is it the service provider's metadata?)"
        )
    return candidates[0]


def _sso_service(descriptor_xml: bytes) -> tuple[str, str]:
    for binding in SSO_BINDINGS:
        data = OneLogin_Saml2_IdPMetadataParser.parse(
            descriptor_xml, required_sso_binding=binding
        )
        url = data.get("idp", {}).get("singleSignOnService", {}).get("url", "")
        url = url.strip()
        if url.startswith(("https://", "http://")):
            return url, binding
    raise InvalidInputError(
        "the IdP metadata has no SingleSignOnService with an http(s) Location for "
        "the HTTP-Redirect or HTTP-POST binding"
    )


def _signing_certificates(descriptor: etree._Element) -> list[str]:
    idp = descriptor.find(IDP_DESCRIPTOR)
    assert idp is not None
    found: list[str] = []
    for key in idp.iterfind(f"{{{MD_NS}}}KeyDescriptor"):
        if key.get("use", "signing").strip() != "signing":
            continue
        for node in key.iterfind(f".//{{{DS_NS}}}X509Certificate"):
            cert = "".join((node.text or "").split())
            _check_certificate(cert)
            if cert not in found:
                found.append(cert)
    if not found:
        raise InvalidInputError(
            "the IdP metadata has no signing certificate (a KeyDescriptor with an "
            "X509Certificate), so no response could be verified"
        )
    return found


def _check_certificate(cert: str) -> None:
    try:
        der = base64.b64decode(cert, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError(
            "a certificate in the IdP metadata is not valid base64"
        ) from exc
    if not _looks_like_x509(der):
        raise InvalidInputError(
            "a certificate in the IdP metadata is not an X.509 certificate"
        )


def _looks_like_x509(der: bytes) -> bool:
    """Whether ``der`` parses as an X.509 certificate (as xmlsec loads it)."""
    try:
        xmlsec.Key.from_memory(der, xmlsec.constants.KeyDataFormatCertDer)
    except xmlsec.Error:
        return False
    return True
