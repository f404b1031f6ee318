"""Who signed in: the email and names in a validated assertion, and the member
they lead to (made on demand, just in time).

IdPs name their claims differently; the lists below hold the names JumpCloud,
Okta, Microsoft Entra ID, OneLogin and Google send by default. The first one
present with a value wins.
"""

from typing import Final

from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import SignInRefusedError
from rollcall.saml.sp import Assertion
from rollcall.storage.models import Member, Org

CLAIMS: Final = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
EMAIL_CLAIMS: Final = (
    "email",
    "Email",
    "mail",
    "emailaddress",
    "emailAddress",
    "EmailAddress",
    "User.email",
    "user.email",
    f"{CLAIMS}emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "urn:oid:1.2.840.113549.1.9.1",
    f"{CLAIMS}upn",
    f"{CLAIMS}name",
)
GIVEN_NAME_CLAIMS: Final = (
    "firstName",
    "firstname",
    "FirstName",
    "givenName",
    "givenname",
    "given_name",
    "User.FirstName",
    "user.firstName",
    f"{CLAIMS}givenname",
    "urn:oid:2.5.4.42",
)
FAMILY_NAME_CLAIMS: Final = (
    "lastName",
    "lastname",
    "LastName",
    "surname",
    "sn",
    "familyName",
    "family_name",
    "User.LastName",
    "user.lastName",
    f"{CLAIMS}surname",
    "urn:oid:2.5.4.4",
)


def sign_in(db: Session, org: Org, assertion: Assertion) -> Member:
    """The member behind ``assertion``, created at first sign-in.

    :raises SignInRefusedError: no email in the assertion, an email off the
        org's domains, or a member whose access was removed.
    """
    email = email_of(assertion)
    if email is None:
        raise SignInRefusedError(
            "the identity provider did not send an email address; ask the "
            "administrator to send the email as NameID or as an 'email' attribute",
            "no_email",
        )
    given = _first(assertion.attributes, GIVEN_NAME_CLAIMS)
    family = _first(assertion.attributes, FAMILY_NAME_CLAIMS)
    return members.sign_in(db, org, email, given, family, Actor("sso", email))


def email_of(assertion: Assertion) -> str | None:
    """The NameID when it looks like an email (whatever its format), else the
    first email claim that does."""
    candidates = [assertion.name_id] if assertion.name_id else []
    candidates += [
        value for claim in EMAIL_CLAIMS for value in assertion.attributes.get(claim, [])
    ]
    for candidate in candidates:
        value = candidate.strip()
        if members.EMAIL_PATTERN.match(value):
            return value
    return None


def _first(attributes: dict[str, list[str]], names: tuple[str, ...]) -> str | None:
    for name in names:
        for value in attributes.get(name, []):
            if value.strip():
                return value.strip()
    return None
