"""Members as SCIM User resources (RFC 7643 §4.1), and User bodies as MemberInput.

Output omits unassigned attributes (RFC 7643 §2.5). Input reads only what
DESIGN.md makes writable; attribute names are case-insensitive (RFC 7643 §2.1),
so Entra's ``UserName``/``Active`` work, and everything else an IdP sends
(addresses, phone numbers, enterprise extension...) is ignored.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from rollcall.domain.members import UNSET, MemberInput, Unset, check_text
from rollcall.scim.errors import InvalidSyntaxError, InvalidValueError
from rollcall.storage.models import Member, MemberState

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# Some OneLogin templates still name the SCIM 1.1 core schema.
SCIM1_SCHEMA = "urn:scim:schemas:core:1.0"
USER_SCHEMAS = {USER_SCHEMA.lower(), SCIM1_SCHEMA.lower()}
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ALWAYS_RETURNED = {"id", "schemas"}

JSONObject = dict[str, Any]


def user_location(base_url: str, member: Member) -> str:
    return f"{base_url}/Users/{member.scim_id}"


def etag(member: Member) -> str:
    return f'W/"{member.version}"'


def render_user(member: Member, base_url: str) -> JSONObject:
    """The member as a full SCIM User; ``base_url`` ends with the org's id."""
    user: JSONObject = {"schemas": [USER_SCHEMA], "id": member.scim_id}
    if member.external_id is not None:
        user["externalId"] = member.external_id
    user["userName"] = member.email
    name = {
        key: value
        for key, value in (
            ("givenName", member.given_name),
            ("familyName", member.family_name),
            ("formatted", member.formatted_name),
        )
        if value is not None
    }
    if name:
        user["name"] = name
    if member.display_name is not None:
        user["displayName"] = member.display_name
    user["active"] = member.state != MemberState.DEACTIVATED
    user["emails"] = [{"value": member.email, "type": "work", "primary": True}]
    user["userType"] = str(member.role)
    user["meta"] = {
        "resourceType": "User",
        "created": format_time(member.created_at),
        "lastModified": format_time(member.updated_at),
        "location": user_location(base_url, member),
        "version": etag(member),
    }
    return user


def format_time(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def list_response(
    resources: list[JSONObject], total: int, start_index: int
) -> JSONObject:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def parse_user(body: object, *, replace: bool) -> MemberInput:
    """Read a POST or PUT User body into the writable attributes.

    With ``replace`` (PUT), names and ``displayName`` left out are cleared.
    ``active`` and ``externalId`` left out keep their values either way: the
    minimal PUT JumpCloud sends carries neither, and losing the IdP's own id
    would break its later ``externalId eq`` lookups. ``emails`` that are null,
    empty or missing mean "no change".

    :raises InvalidSyntaxError: the body is not a User object.
    :raises InvalidValueError: an attribute has the wrong type.
    """
    if not isinstance(body, dict):
        raise InvalidSyntaxError("the request body must be a JSON object (a User)")
    fields = _lower_keys(body)
    _check_schemas(fields.get("schemas"))
    absent: Unset | None = None if replace else UNSET

    name = fields.get("name")
    if name is not None and not isinstance(name, dict):
        raise InvalidValueError("name must be an object with givenName, familyName")
    name_fields = _lower_keys(name or {})
    if "username" in fields and fields["username"] is None:
        # Required by RFC 7643 §4.1.1; only a PUT that leaves it out keeps it.
        raise InvalidValueError("userName is required and must be the user's email")
    return MemberInput(
        user_name=_optional_text(fields, "username", UNSET, "userName"),
        email=_primary_email(fields.get("emails")),
        given_name=_optional_text(name_fields, "givenname", absent, "givenName"),
        family_name=_optional_text(name_fields, "familyname", absent, "familyName"),
        formatted_name=_optional_text(name_fields, "formatted", absent, "formatted"),
        display_name=_optional_text(fields, "displayname", absent, "displayName"),
        external_id=_optional_text(fields, "externalid", UNSET, "externalId"),
        active=parse_active(fields["active"]) if "active" in fields else UNSET,
    )


def parse_active(value: object) -> bool:
    """``active`` as a boolean; OneLogin and Entra send "true"/"False" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValueError(f"active must be true or false, got {value!r}")


def _lower_keys(obj: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in obj.items():
        lowered = key.lower()
        if lowered.startswith(USER_SCHEMA.lower() + ":"):
            lowered = lowered[len(USER_SCHEMA) + 1 :]
        fields[lowered] = value
    return fields


def _check_schemas(schemas: object) -> None:
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidSyntaxError(f"schemas must be a list naming {USER_SCHEMA}")
    if not USER_SCHEMAS & {s.lower() for s in schemas}:
        raise InvalidValueError(
            f"schemas {schemas!r} do not include the User schema {USER_SCHEMA}"
        )


def _optional_text(
    fields: Mapping[str, Any],
    key: str,
    absent: Unset | None,
    label: str,
) -> Any:
    if key not in fields:
        return absent
    value = fields[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(f"{label} must be a string, got {_show(value)}")
    return check_text(label, value)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _primary_email(emails: object) -> str | Unset:
    """The email marked primary, else the first; none at all means no change."""
    if emails is None or emails == []:
        return UNSET
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise InvalidValueError("emails must be a list of objects with a value")
    entries = [_lower_keys(e) for e in emails]
    for entry in entries:
        if not isinstance(entry.get("value"), str):
            raise InvalidValueError("every entry of emails needs a string value")
        check_text("emails.value", entry["value"])
    primary = [e for e in entries if _is_primary(e.get("primary"))]
    return str((primary or entries)[0]["value"])


def _is_primary(value: object) -> bool:
    if value is None:
        return False
    try:
        return parse_active(value)
    except InvalidValueError:
        raise InvalidValueError(
            f"primary must be true or false, got {value!r}"
        ) from None


def parse_attribute_list(text: str | None) -> list[str]:
    """``attributes=userName,name.givenName`` as lower-cased paths without URN."""
    if not text:
        return []
    paths = []
    for part in text.split(","):
        path = part.strip().lower()
        if path.startswith(USER_SCHEMA.lower() + ":"):
            path = path[len(USER_SCHEMA) + 1 :]
        elif path.startswith("urn:"):
            continue
        if path:
            paths.append(path)
    return paths


def select_attributes(
    resource: JSONObject, attributes: Iterable[str], excluded: Iterable[str]
) -> JSONObject:
    """Apply RFC 7644 §3.4.2.5: keep only ``attributes`` or drop ``excluded``.

    ``id`` and ``schemas`` are always returned; sub-attributes such as
    ``name.givenName`` or ``meta.location`` select within their parent.
    """
    wanted = list(attributes)
    if wanted:
        kept = _keep(resource, [p.split(".") for p in wanted])
        for key in ALWAYS_RETURNED:
            if key in resource:
                kept[key] = resource[key]
        return {key: kept[key] for key in resource if key in kept}
    dropped = [p.split(".") for p in excluded if p not in ALWAYS_RETURNED]
    return _drop(resource, dropped)


def _keep(obj: JSONObject, paths: list[list[str]]) -> JSONObject:
    kept: JSONObject = {}
    for key, value in obj.items():
        matching = [p for p in paths if p[0] == key.lower()]
        if not matching:
            continue
        rest = [p[1:] for p in matching if len(p) > 1]
        if any(len(p) == 1 for p in matching) or not rest:
            kept[key] = value
        else:
            kept[key] = _apply(value, rest, _keep)
    return kept


def _drop(obj: JSONObject, paths: list[list[str]]) -> JSONObject:
    result: JSONObject = {}
    for key, value in obj.items():
        matching = [p for p in paths if p[0] == key.lower()]
        if any(len(p) == 1 for p in matching):
            continue
        rest = [p[1:] for p in matching]
        result[key] = _apply(value, rest, _drop) if rest else value
    return result


def _apply(value: Any, paths: list[list[str]], step: Any) -> Any:
    if isinstance(value, dict):
        return step(value, paths)
    if isinstance(value, list):
        return [step(v, paths) if isinstance(v, dict) else v for v in value]
    return value
