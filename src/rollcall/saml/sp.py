"""Adapter over python3-saml: the only module that imports ``onelogin``.

It reads IdP metadata into :class:`~rollcall.domain.orgs.IdPSettings`, builds
the per-org settings of the library, and turns the library's failures into our
errors: :class:`~rollcall.errors.InvalidInputError` for bad metadata and
:class:`SAMLError` (with a short ``reason`` code) for a refused response.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import xmlsec
from lxml import etree
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, fromstring

from rollcall.config import Settings
from rollcall.domain.orgs import IdPSettings
from rollcall.errors import InvalidInputError
from rollcall.storage.models import Org

XML_DECLARED_ENCODING: Final = re.compile(
    r"""\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']"""
)
UNSAFE_URL_CHARACTERS: Final = re.compile(r'[\s"<>\\`\x00-\x1f\x7f]')

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
HTTP_POST: Final = Constants.BINDING_HTTP_POST
HTTP_REDIRECT: Final = Constants.BINDING_HTTP_REDIRECT
SSO_BINDINGS: Final = (HTTP_REDIRECT, HTTP_POST)

SAML_NS: Final = f"{{{Constants.NS_SAML}}}"
CONDITIONS: Final = f"{SAML_NS}Assertion/{SAML_NS}Conditions"
SUBJECT_CONFIRMATION_DATA: Final = (
    f"{SAML_NS}Assertion/{SAML_NS}Subject/{SAML_NS}SubjectConfirmation/"
    f"{SAML_NS}SubjectConfirmationData"
)
# Kept when an assertion states no expiry of its own, and added to every expiry,
# so the replay cache outlives any clock skew the checks allow.
DEFAULT_ASSERTION_LIFETIME: Final = timedelta(hours=1)
REPLAY_MARGIN: Final = timedelta(minutes=15)

REASONS: Final = {
    "not_configured": "single sign-on is not set up for this organisation yet; ask "
    "its administrator to connect the identity provider",
    "malformed": "the sign-in response could not be read",
    "encrypted": "the identity provider encrypted the assertion, which Rollcall does "
    "not support; ask the administrator to switch assertion encryption off",
    "unsigned": "the sign-in response is not signed by the identity provider",
    "bad_signature": "the signature of the sign-in response does not match the "
    "identity provider certificate configured for this organisation",
    "deprecated_algorithm": "the identity provider signed with SHA-1, which is no "
    "longer accepted; ask the administrator to make it sign with SHA-256",
    "expired": "the sign-in response has expired; please sign in again",
    "not_yet_valid": "the sign-in response is not valid yet (the identity "
    "provider's clock may be ahead); please try again in a minute",
    "audience": "the sign-in response is meant for another service, not for this "
    "organisation in Rollcall",
    "destination": "the sign-in response was sent to another address than this "
    "organisation's sign-in address",
    "recipient": "the sign-in response is not addressed to this organisation's "
    "sign-in address, or it has expired",
    "issuer": "the sign-in response comes from another identity provider than the "
    "one configured for this organisation",
    "in_response_to": "the sign-in response does not answer the sign-in started "
    "here; please start again",
    "idp_status": "the identity provider reported that the sign-in failed",
    "no_name_id": "the sign-in response does not say who signed in",
    "assertion_count": "the sign-in response must carry exactly one assertion",
    "invalid": "the sign-in response is not valid",
}
_E = OneLogin_Saml2_ValidationError
VALIDATION_REASONS: Final = {
    **dict.fromkeys(
        (_E.NO_SIGNATURE_FOUND, _E.NO_SIGNED_ASSERTION, _E.NO_SIGNED_MESSAGE),
        "unsigned",
    ),
    **dict.fromkeys(
        (
            _E.INVALID_SIGNATURE,
            _E.WRONG_SIGNED_ELEMENT,
            _E.ID_NOT_FOUND_IN_SIGNED_ELEMENT,
            _E.DUPLICATED_ID_IN_SIGNED_ELEMENTS,
            _E.INVALID_SIGNED_ELEMENT,
            _E.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS,
            _E.UNEXPECTED_SIGNED_ELEMENTS,
            _E.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE,
            _E.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION,
            _E.WRONG_NUMBER_OF_SIGNATURES,
        ),
        "bad_signature",
    ),
    **dict.fromkeys(
        (_E.DEPRECATED_SIGNATURE_METHOD, _E.DEPRECATED_DIGEST_METHOD),
        "deprecated_algorithm",
    ),
    **dict.fromkeys(
        (_E.ASSERTION_EXPIRED, _E.SESSION_EXPIRED, _E.RESPONSE_EXPIRED), "expired"
    ),
    _E.ASSERTION_TOO_EARLY: "not_yet_valid",
    _E.WRONG_AUDIENCE: "audience",
    _E.WRONG_DESTINATION: "destination",
    _E.EMPTY_DESTINATION: "destination",
    _E.WRONG_SUBJECTCONFIRMATION: "recipient",
    **dict.fromkeys(
        (
            _E.WRONG_ISSUER,
            _E.ISSUER_MULTIPLE_IN_RESPONSE,
            _E.ISSUER_NOT_FOUND_IN_ASSERTION,
        ),
        "issuer",
    ),
    _E.WRONG_INRESPONSETO: "in_response_to",
    **dict.fromkeys(
        (
            _E.STATUS_CODE_IS_NOT_SUCCESS,
            _E.MISSING_STATUS,
            _E.MISSING_STATUS_CODE,
        ),
        "idp_status",
    ),
    **dict.fromkeys((_E.NO_NAMEID, _E.EMPTY_NAMEID), "no_name_id"),
    _E.WRONG_NUMBER_OF_ASSERTIONS: "assertion_count",
    **dict.fromkeys(
        (
            _E.INVALID_XML_FORMAT,
            _E.UNSUPPORTED_SAML_VERSION,
            _E.MISSING_ID,
            _E.MISSING_CONDITIONS,
            _E.WRONG_NUMBER_OF_AUTHSTATEMENTS,
            _E.DUPLICATED_ATTRIBUTE_NAME_FOUND,
            _E.SP_NAME_QUALIFIER_NAME_MISMATCH,
        ),
        "malformed",
    ),
    **dict.fromkeys(
        (
            _E.NO_ENCRYPTED_ASSERTION,
            _E.NO_ENCRYPTED_NAMEID,
            _E.ENCRYPTED_ATTRIBUTES,
            _E.KEYINFO_NOT_FOUND_IN_ENCRYPTED_DATA,
            _E.CHILDREN_NODE_NOT_FOUND_IN_KEYINFO,
            _E.UNSUPPORTED_RETRIEVAL_METHOD,
        ),
        "encrypted",
    ),
}


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

    _check_declared_encoding(xml)
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


def _check_declared_encoding(xml: str) -> None:
    """Metadata is read as UTF-8 (uploads are decoded so); a declaration of
    another encoding would make the parser misread every non-ASCII character,
    so it is refused with what to do instead."""
    declared = XML_DECLARED_ENCODING.match(xml.lstrip("\ufeff"))
    if declared and declared.group(1).lower() not in ("utf-8", "utf8"):
        raise InvalidInputError(
            f"the IdP metadata is declared as {declared.group(1)[:40]!r}; Rollcall "
            'reads UTF-8 only: save it as UTF-8 (with encoding="UTF-8" in its '
            "first line) and upload it again"
        )


def _sso_service(descriptor_xml: bytes) -> tuple[str, str]:
    for binding in SSO_BINDINGS:
        data = OneLogin_Saml2_IdPMetadataParser.parse(
            descriptor_xml, required_sso_binding=binding
        )
        url = data.get("idp", {}).get("singleSignOnService", {}).get("url", "")
        url = url.strip()
        if url:
            _check_sso_url(url)
            return url, binding
    raise InvalidInputError(
        "the IdP metadata has no SSO URL: no SingleSignOnService with a Location "
        "for the HTTP-Redirect or HTTP-POST binding"
    )


def _check_sso_url(url: str) -> None:
    """The SSO URL goes into the AuthnRequest's ``Destination`` and the browser's
    next address: only a plain absolute http(s) URL is taken."""
    try:
        parts = urlsplit(url)
        plain = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        plain = False
    if not plain or UNSAFE_URL_CHARACTERS.search(url):
        raise InvalidInputError(
            f"the IdP's SSO URL {url[:200]!r} is not a plain http(s) URL (no "
            "spaces, quotes, angle brackets or backslashes); check the "
            "SingleSignOnService Location in the metadata"
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


class SAMLError(Exception):
    """A SAML message was refused; ``reason`` is a short code for the audit log
    and ``detail`` says why in words a person understands."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SPUrls:
    """Where the IdP finds this org's service provider."""

    entity_id: str
    acs: str
    login: str

    @classmethod
    def of(cls, settings: Settings, org_public_id: str) -> "SPUrls":
        base = f"{settings.public_url}/sso/{org_public_id}"
        return cls(f"{base}/metadata", f"{base}/acs", f"{base}/login")


@dataclass(frozen=True)
class LoginStart:
    """An AuthnRequest ready to go: redirect to ``url`` (HTTP-Redirect), or post
    ``saml_request`` to ``url`` (HTTP-POST)."""

    request_id: str
    binding: str
    url: str
    saml_request: str


@dataclass(frozen=True)
class Assertion:
    """What Rollcall uses of a response whose every check passed."""

    assertion_id: str
    expires_at: datetime
    name_id: str | None
    attributes: dict[str, list[str]]


@dataclass(frozen=True)
class AuthnRequestInfo:
    """The parts of an SP's AuthnRequest an IdP answers to."""

    request_id: str
    issuer: str
    acs_url: str


def library_settings(
    settings: Settings, org: Org, *, sp_only: bool = False
) -> OneLogin_Saml2_Settings:
    """python3-saml settings for ``org``: strict, signatures required, no SHA-1.

    ``sp_only`` builds just the service provider half (for the SP metadata, which
    an administrator needs before the IdP is configured).

    :raises SAMLError: the org has no IdP configured (reason ``not_configured``).
    """
    if org.saml is None and not sp_only:
        raise SAMLError("not_configured", REASONS["not_configured"])
    urls = SPUrls.of(settings, org.public_id)
    data: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": urls.entity_id,
            "assertionConsumerService": {"url": urls.acs, "binding": HTTP_POST},
            "NameIDFormat": Constants.NAMEID_UNSPECIFIED,
        },
        "security": {
            # Either the Response or the Assertion may carry the signature; a
            # response with neither is refused by the library regardless.
            "wantAssertionsSigned": False,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "wantAttributeStatement": False,
            "rejectDeprecatedAlgorithm": True,
            "requestedAuthnContext": False,
            "allowRepeatAttributeName": True,
            "signatureAlgorithm": Constants.RSA_SHA256,
            "digestAlgorithm": Constants.SHA256,
            # The SP's values never change, so its metadata states no expiry:
            # an IdP that honours validUntil would otherwise drop it in two days.
            "metadataValidUntil": "",
            "metadataCacheDuration": "",
        },
    }
    if org.saml is not None:
        data["idp"] = {
            "entityId": org.saml.idp_entity_id,
            "singleSignOnService": {
                "url": org.saml.sso_url,
                "binding": org.saml.sso_binding,
            },
            "x509certMulti": {"signing": list(org.saml.certificates)},
        }
    return OneLogin_Saml2_Settings(data, sp_validation_only=sp_only)


def sp_metadata(settings: Settings, org: Org) -> str:
    """The SP metadata XML an administrator gives to the IdP."""
    saml_settings = library_settings(settings, org, sp_only=True)
    metadata: str | bytes = saml_settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def start_login(settings: Settings, org: Org) -> LoginStart:
    """A new, unsigned AuthnRequest to the org's IdP."""
    saml_settings = library_settings(settings, org)
    request = OneLogin_Saml2_Authn_Request(saml_settings)
    assert org.saml is not None
    if org.saml.sso_binding == HTTP_POST:
        encoded = request.get_request(deflate=False)
        return LoginStart(
            request.get_id(), org.saml.sso_binding, org.saml.sso_url, encoded
        )
    encoded = request.get_request(deflate=True)
    url = OneLogin_Saml2_Utils.redirect(org.saml.sso_url, {"SAMLRequest": encoded})
    return LoginStart(request.get_id(), org.saml.sso_binding, url, encoded)


class SAMLResponse:
    """A posted ``SAMLResponse``, parsed but not yet trusted."""

    def __init__(self, settings: Settings, org: Org, encoded: str) -> None:
        self._settings = settings
        self._org_public_id = org.public_id
        self._skew = timedelta(seconds=settings.saml_clock_skew_seconds)
        saml_settings = library_settings(settings, org)
        try:
            self._response = OneLogin_Saml2_Response(saml_settings, encoded)
        except OneLogin_Saml2_Error as exc:
            # The only library error here: an encrypted assertion and no SP key.
            raise SAMLError("encrypted", REASONS["encrypted"]) from exc
        except Exception as exc:  # base64, zlib and XML errors alike
            raise SAMLError("malformed", REASONS["malformed"]) from exc

    @property
    def in_response_to(self) -> str | None:
        """The request this answers, from the Response or its subject; None when
        the IdP sent it unsolicited."""
        document = self._response.document
        found = document.get("InResponseTo")
        if found:
            return str(found)
        data = document.find(SUBJECT_CONFIRMATION_DATA)
        value = data.get("InResponseTo") if data is not None else None
        return str(value) if value else None

    def validate(self, request_id: str | None) -> Assertion:
        """Check signature, addressing, time and answer; return the assertion.

        :raises SAMLError: any check failed; ``reason`` names which.
        """
        urls = SPUrls.of(self._settings, self._org_public_id)
        try:
            self._response.is_valid(
                _request_data(urls.acs), request_id, raise_exceptions=True
            )
            if not self._response.get_audiences():
                raise SAMLError("audience", REASONS["audience"])
            self._check_time_window()
            return Assertion(
                assertion_id=str(self._response.get_assertion_id()),
                expires_at=self._expiry(),
                name_id=self._response.get_nameid(),
                attributes=_string_values(self._response.get_attributes()),
            )
        except SAMLError:
            raise
        except OneLogin_Saml2_ValidationError as exc:
            reason = VALIDATION_REASONS.get(exc.code, "invalid")
            raise SAMLError(reason, REASONS[reason]) from exc
        except Exception as exc:  # the library's other errors, and lxml's
            raise SAMLError("invalid", REASONS["invalid"]) from exc

    def _conditions(self) -> etree._Element | None:
        # After is_valid there is exactly one Assertion, so this is the checked one.
        return self._response.get_xml_document().find(CONDITIONS)

    def _check_time_window(self) -> None:
        """Our own clock skew on the Conditions (the library allows 300 s)."""
        conditions = self._conditions()
        if conditions is None:
            return
        now = datetime.now(UTC)
        not_before = _saml_time(conditions.get("NotBefore"))
        not_on_or_after = _saml_time(conditions.get("NotOnOrAfter"))
        if not_before is not None and not_before - self._skew > now:
            raise SAMLError("not_yet_valid", REASONS["not_yet_valid"])
        if not_on_or_after is not None and not_on_or_after + self._skew <= now:
            raise SAMLError("expired", REASONS["expired"])

    def _expiry(self) -> datetime:
        """Until when the assertion id must be remembered to refuse a replay."""
        times = [datetime.now(UTC) + DEFAULT_ASSERTION_LIFETIME]
        subject_limit = self._response.get_assertion_not_on_or_after()
        if subject_limit:
            times.append(datetime.fromtimestamp(subject_limit, UTC))
        conditions = self._conditions()
        if conditions is not None:
            limit = _saml_time(conditions.get("NotOnOrAfter"))
            if limit is not None:
                times.append(limit)
        return max(times) + REPLAY_MARGIN


def read_authn_request(encoded: str, *, deflated: bool = True) -> AuthnRequestInfo:
    """Decode an AuthnRequest as an IdP receives it (used by the development IdP).

    :raises SAMLError: it cannot be decoded or lacks an ID, Issuer or ACS URL.
    """
    try:
        raw = (
            OneLogin_Saml2_Utils.decode_base64_and_inflate(encoded)
            if deflated
            else OneLogin_Saml2_Utils.b64decode(encoded)
        )
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True)
    except Exception as exc:  # zlib, base64 and XML errors alike
        raise SAMLError("malformed", "the sign-in request could not be read") from exc
    issuer = root.findtext(f"{{{Constants.NS_SAML}}}Issuer") or ""
    request_id = root.get("ID") or ""
    acs_url = root.get("AssertionConsumerServiceURL") or ""
    if root.tag != f"{{{Constants.NS_SAMLP}}}AuthnRequest" or not (
        issuer and request_id and acs_url
    ):
        raise SAMLError("malformed", "the sign-in request is incomplete")
    return AuthnRequestInfo(request_id, issuer.strip(), acs_url)


def sign_xml(xml: str, key_pem: str, cert_pem: str, *, sha1: bool = False) -> str:
    """Sign the root element of ``xml`` (enveloped, exclusive C14N), RSA-SHA256
    unless ``sha1`` asks for the deprecated RSA-SHA1 (for tests of its refusal)."""
    algorithm, digest = (
        (Constants.RSA_SHA1, Constants.SHA1)
        if sha1
        else (Constants.RSA_SHA256, Constants.SHA256)
    )
    signed: str | bytes = OneLogin_Saml2_Utils.add_sign(
        xml, key_pem, cert_pem, sign_algorithm=algorithm, digest_algorithm=digest
    )
    return signed.decode() if isinstance(signed, bytes) else signed


def _request_data(acs_url: str) -> dict[str, Any]:
    """The "current URL" the library compares Destination and Recipient with:
    our public ACS URL, whatever host or proxy the request came through."""
    parts = urlsplit(acs_url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": {},
    }


def _saml_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(
            OneLogin_Saml2_Utils.parse_SAML_to_time(value), UTC
        )
    except ValueError as exc:
        raise SAMLError("malformed", "the sign-in response has a bad time") from exc


def _string_values(attributes: dict[str, list[Any]]) -> dict[str, list[str]]:
    return {
        name: [v for v in values if isinstance(v, str)]
        for name, values in attributes.items()
    }
