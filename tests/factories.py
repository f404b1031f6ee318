"""Small builders for orgs, tokens and members, written through the domain."""

from sqlalchemy.orm import Session

from rollcall.domain import members, orgs
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.storage.models import Member, Org

OPERATOR = Actor.operator()
TEST_IDP = orgs.IdPSettings(
    entity_id="https://idp.example.test/metadata",
    sso_url="https://idp.example.test/sso",
    sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    certificates=[],
    metadata_xml="<EntityDescriptor/>",
)


def make_org(
    db: Session,
    *,
    name: str = "Example Corp",
    domains: tuple[str, ...] = ("example.com",),
    subscription: bool = True,
    sso: bool = True,
    provisioning: bool = True,
) -> Org:
    """An org; by default subscribed, with SSO configured and provisioning on."""
    org = orgs.create_org(db, name, list(domains), OPERATOR)
    orgs.set_subscription(db, org, True, OPERATOR)
    if sso:
        orgs.configure_sso(db, org, TEST_IDP, OPERATOR)
    if provisioning:
        orgs.set_provisioning(db, org, True, OPERATOR)
    orgs.set_subscription(db, org, subscription, OPERATOR)
    return org


def make_token(db: Session, org: Org) -> str:
    _token, raw = orgs.issue_token(db, org, OPERATOR)
    return raw


def make_member(
    db: Session, org: Org, email: str, *, given: str = "Ada", family: str = "Lovelace"
) -> Member:
    """A member provisioned through the domain, as SCIM would."""
    data = MemberInput(user_name=email, given_name=given, family_name=family)
    return members.provision(db, org, data, Actor("idp", "test"))
