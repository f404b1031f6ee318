"""The development identity provider: sign in as anyone, for demos only.

Mounted under ``/dev-idp`` and answering only when ``settings.dev_idp_enabled``
(``rollcall demo`` turns it on); otherwise every page is a 404. It keeps an RSA
key and a self-signed certificate in a file beside the SQLite database (or in
the temporary directory for other databases), so the demo org's SSO settings
stay valid across restarts. A person types any email and names; the IdP answers
the service provider's AuthnRequest with a real signed Response (RSA-SHA256,
signed assertion) posted back to the ACS.
"""

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import make_url

from rollcall.config import Settings
from rollcall.deps import SettingsDep
from rollcall.domain.orgs import IdPSettings
from rollcall.errors import InvalidInputError, NotFoundError
from rollcall.saml import assertions, pages
from rollcall.saml.keys import KeyPair, generate_key_pair
from rollcall.saml.sp import (
    AuthnRequestInfo,
    SAMLError,
    SPUrls,
    parse_idp_metadata,
    read_authn_request,
)

router = APIRouter(prefix="/dev-idp")

REDIRECT: Final = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
KEY_FILE_NAME: Final = "rollcall-dev-idp.pem"
CERT_MARKER: Final = "-----BEGIN CERTIFICATE-----"
_key_lock = threading.Lock()


def entity_id(settings: Settings) -> str:
    return f"{settings.public_url}/dev-idp/metadata"


def sso_url(settings: Settings) -> str:
    return f"{settings.public_url}/dev-idp/sso"


def idp_settings(settings: Settings) -> IdPSettings:
    """The dev IdP as an org's SSO settings (``rollcall demo`` points its org here)."""
    return parse_idp_metadata(metadata_xml(settings))


def metadata_xml(settings: Settings) -> str:
    """The dev IdP's metadata: entity id, HTTP-Redirect SSO URL, certificate."""
    cert = key_pair(settings).cert_base64
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{entity_id(settings)}">\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{cert}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        "    <md:NameIDFormat>"
        f"{assertions.EMAIL_FORMAT}</md:NameIDFormat>\n"
        f'    <md:SingleSignOnService Binding="{REDIRECT}" '
        f'Location="{sso_url(settings)}"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


def key_pair(settings: Settings) -> KeyPair:
    """The dev IdP's key, made on first use and kept in :func:`key_path`."""
    path = key_path(settings)
    with _key_lock:
        if not path.exists():
            keys = generate_key_pair("Rollcall development IdP")
            temporary = path.with_suffix(".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(keys.key_pem + keys.cert_pem)
            os.replace(temporary, path)
        text = path.read_text()
    key_pem, _, cert_body = text.partition(CERT_MARKER)
    return KeyPair(key_pem, CERT_MARKER + cert_body)


def key_path(settings: Settings) -> Path:
    """Beside the SQLite database file; else in the temporary directory, named
    after the database so that two setups never share a key."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        return Path(str(url.database)).resolve().parent / KEY_FILE_NAME
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"rollcall-dev-idp-{digest}.pem"


def _require_enabled(settings: Settings) -> None:
    if not settings.dev_idp_enabled:
        raise NotFoundError("no such page")


@router.get("/metadata")
def metadata(settings: SettingsDep) -> Response:
    _require_enabled(settings)
    return Response(metadata_xml(settings), media_type="application/xml")


@router.get("/sso", response_class=HTMLResponse)
def sign_in_page(
    request: Request,
    settings: SettingsDep,
    saml_request: Annotated[str | None, Query(alias="SAMLRequest")] = None,
    relay_state: Annotated[str | None, Query(alias="RelayState")] = None,
) -> Response:
    """The form where a person types who they want to be."""
    _require_enabled(settings)
    _read_request(settings, saml_request)
    return pages.render(
        request,
        "saml/devidp.html",
        {"saml_request": saml_request, "relay_state": relay_state or ""},
    )


@router.post("/sso", response_class=HTMLResponse)
def sign_in(
    request: Request,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    given_name: Annotated[str, Form()] = "",
    family_name: Annotated[str, Form()] = "",
    saml_request: Annotated[str | None, Form(alias="SAMLRequest")] = None,
    relay_state: Annotated[str, Form(alias="RelayState")] = "",
) -> Response:
    """Answer the AuthnRequest with a signed Response, posted to the ACS."""
    _require_enabled(settings)
    authn = _read_request(settings, saml_request)
    email = email.strip()
    if "@" not in email:
        raise InvalidInputError("type the email address to sign in with")
    spec = assertions.ResponseSpec(
        issuer=entity_id(settings),
        acs_url=authn.acs_url,
        audience=authn.issuer,
        name_id=email,
        in_response_to=authn.request_id,
        attributes={
            "email": [email],
            "firstName": [given_name.strip()],
            "lastName": [family_name.strip()],
        },
    )
    response = assertions.signed_response(spec, key_pair(settings))
    fields = {"SAMLResponse": assertions.encode(response)}
    if relay_state:
        fields["RelayState"] = relay_state
    return pages.auto_post(request, authn.acs_url, fields, "Signing you in")


def _read_request(settings: Settings, saml_request: str | None) -> AuthnRequestInfo:
    """The AuthnRequest, if it comes from one of this Rollcall's orgs."""
    if not saml_request:
        raise InvalidInputError(
            "the development IdP signs in only from an organisation's sign-in link "
            "(/sso/ORG/login)"
        )
    try:
        authn = read_authn_request(saml_request)
    except SAMLError as exc:
        raise InvalidInputError(exc.detail) from exc
    prefix = f"{settings.public_url}/sso/"
    org_id = authn.acs_url.removeprefix(prefix).removesuffix("/acs")
    urls = SPUrls.of(settings, org_id)
    if "/" in org_id or authn.acs_url != urls.acs or authn.issuer != urls.entity_id:
        raise InvalidInputError(
            "the development IdP answers only this Rollcall's own sign-in requests"
        )
    return authn
