"""Orgs: subscription, SSO domains, IdP settings, provisioning, SCIM tokens."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from rollcall.domain.audit import Actor, record
from rollcall.domain.members import check_text
from rollcall.errors import ForbiddenError, InvalidInputError, NotFoundError
from rollcall.storage import queries, writes
from rollcall.storage.models import Org, OrgDomain, SamlConfig, ScimToken, utcnow

TOKEN_PREFIX = "rcs_"  # noqa: S105  (a label, not a secret)
TOKEN_TOUCH_INTERVAL = timedelta(seconds=60)
DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


@dataclass(frozen=True)
class IdPSettings:
    """What Rollcall keeps of an IdP's metadata."""

    entity_id: str
    sso_url: str
    sso_binding: str
    certificates: list[str]
    metadata_xml: str


def hash_secret(raw: str) -> str:
    """SHA-256 of a high-entropy secret; a slow hash adds nothing at 256 bits."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_org(db: Session, name: str, domains: list[str], actor: Actor) -> Org:
    name = check_text("the org name", name.strip())
    if not name or len(name) > 200:
        raise InvalidInputError("the org name must be 1 to 200 characters")
    org = Org(public_id=secrets.token_hex(8), name=name)
    writes.add(db, org)
    for domain in domains:
        add_domain(db, org, domain, actor)
    record(db, org, actor, "org.created", name=name)
    return org


def get_org(db: Session, public_id: str) -> Org:
    org = queries.get_org_by_public_id(db, public_id)
    if org is None:
        raise NotFoundError(f"no org with id {public_id!r}")
    return org


def list_orgs(db: Session) -> list[Org]:
    """Every org, oldest first: the operator's overview."""
    return list(queries.list_orgs(db))


def normalise_domain(domain: str) -> str:
    value = domain.strip().lower().rstrip(".")
    if value.startswith("@"):
        value = value[1:]
    if not DOMAIN_PATTERN.match(value):
        raise InvalidInputError(f"{domain!r} is not a domain name such as example.com")
    return value


def add_domain(db: Session, org: Org, domain: str, actor: Actor) -> None:
    value = normalise_domain(domain)
    if value in org.domain_names:
        return
    org.domains.append(OrgDomain(org_id=org.id, domain=value))
    db.flush()
    record(db, org, actor, "org.domain_added", domain=value)


def remove_domain(db: Session, org: Org, domain: str, actor: Actor) -> None:
    value = normalise_domain(domain)
    kept = [d for d in org.domains if d.domain != value]
    if len(kept) == len(org.domains):
        raise NotFoundError(f"{value} is not an SSO domain of this org")
    if not kept:
        # Without a domain nobody can sign in or be provisioned: a domain move
        # adds the new one, then removes the old.
        raise ForbiddenError(
            f"{value} is the org's last SSO domain and cannot be removed; to move "
            "the org to another domain, add the new domain first"
        )
    org.domains = kept
    db.flush()
    record(db, org, actor, "org.domain_removed", domain=value)


def email_domain_allowed(org: Org, email: str) -> bool:
    return email.rpartition("@")[2].lower() in org.domain_names


def set_subscription(db: Session, org: Org, active: bool, actor: Actor) -> None:
    org.subscription_active = active
    db.flush()
    record(db, org, actor, "org.subscription", active=active)


def configure_sso(db: Session, org: Org, idp: IdPSettings, actor: Actor) -> None:
    """Store (or replace, for certificate rollover) the org's IdP settings."""
    require_subscription(org, "change the SSO settings")
    if org.saml is None:
        org.saml = SamlConfig(org_id=org.id, idp_entity_id="", sso_url="")
    org.saml.idp_entity_id = idp.entity_id
    org.saml.sso_url = idp.sso_url
    org.saml.sso_binding = idp.sso_binding
    org.saml.certificates = list(idp.certificates)
    org.saml.metadata_xml = idp.metadata_xml
    org.saml.updated_at = utcnow()
    db.flush()
    record(
        db,
        org,
        actor,
        "sso.configured",
        entity_id=idp.entity_id,
        certificates=len(idp.certificates),
    )


def set_idp_initiated(db: Session, org: Org, enabled: bool, actor: Actor) -> None:
    org.idp_initiated_enabled = enabled
    db.flush()
    record(db, org, actor, "sso.idp_initiated", enabled=enabled)


def missing_for_provisioning(org: Org) -> list[str]:
    """What the org lacks before SCIM may be used, in words for the admin."""
    missing = []
    if not org.subscription_active:
        missing.append("an active subscription")
    if org.saml is None:
        missing.append("SAML single sign-on configured")
    return missing


def set_provisioning(db: Session, org: Org, enabled: bool, actor: Actor) -> None:
    if enabled and (missing := missing_for_provisioning(org)):
        raise ForbiddenError(
            "provisioning can be switched on only for an org with "
            + " and ".join(missing)
        )
    org.provisioning_enabled = enabled
    db.flush()
    record(db, org, actor, "org.provisioning", enabled=enabled)


def require_subscription(org: Org, doing: str) -> None:
    if not org.subscription_active:
        raise ForbiddenError(
            f"the org's subscription is not active, so Rollcall cannot {doing}; "
            "ask your account manager to renew it"
        )


def require_provisioning(org: Org, *, writing: bool) -> None:
    """Raise ForbiddenError naming everything missing for SCIM requests to the
    org at once, so that the IdP's admin does not fix one thing to meet the next.
    Reads go on while only the subscription has lapsed; writes do not."""
    lacking = []
    if not org.provisioning_enabled:
        lacking.append("provisioning is not enabled for this org")
    if not org.subscription_active and (writing or lacking):
        lacking.append("the org's subscription is not active")
    if not org.provisioning_enabled and org.saml is None:
        lacking.append("SAML single sign-on is not configured")
    if not lacking:
        return
    remedies = []
    if not org.subscription_active:
        remedies.append("ask your account manager to renew the subscription")
    if not org.provisioning_enabled:
        remedies.append(
            "ask the vendor's support to enable provisioning (it needs an active "
            "subscription and SSO configured)"
        )
    raise ForbiddenError("; ".join(lacking) + ": " + ", then ".join(remedies))


def issue_token(db: Session, org: Org, actor: Actor) -> tuple[ScimToken, str]:
    """Create a SCIM token; the raw secret is returned here and never again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(
        public_id="tok_" + secrets.token_hex(6),
        org_id=org.id,
        token_hash=hash_secret(raw),
        hint=raw[-4:],
        created_by=actor.label,
    )
    writes.add(db, token)
    record(db, org, actor, "token.created", token=token.public_id)
    return token, raw


def list_tokens(db: Session, org: Org) -> list[ScimToken]:
    return list(queries.list_tokens(db, org.id))


def revoke_token(db: Session, org: Org, token_id: str, actor: Actor) -> ScimToken:
    token = queries.get_token(db, org.id, token_id)
    if token is None:
        raise NotFoundError(f"no SCIM token {token_id!r} in this org")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
        record(db, org, actor, "token.revoked", token=token.public_id)
    return token


def authenticate_token(db: Session, org_public_id: str, raw: str) -> ScimToken | None:
    """The live token ``raw`` if it belongs to the org ``org_public_id``, else None.

    A valid token of another org is treated exactly like a wrong one.
    """
    found = authenticate_caller(db, org_public_id, raw)
    return found[0] if found is not None else None


def authenticate_caller(
    db: Session, org_public_id: str, raw: str
) -> tuple[ScimToken, Org] | None:
    """Like :func:`authenticate_token`, and also the org, so that the SCIM edge
    need not load it a second time (the session holds it only weakly). One
    query finds both; the org's domains and SAML settings load only if used."""
    found = queries.get_token_and_org_by_hash(db, hash_secret(raw))
    if found is None:
        return None
    token, org = found
    if token.revoked_at is not None:
        return None
    # Bytes: compare_digest refuses str holding non-ASCII (an id in the URL).
    claimed = org_public_id.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(org.public_id.encode(), claimed):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        writes.touch_token(db, token, now)
    return token, org
