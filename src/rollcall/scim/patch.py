"""SCIM PATCH (RFC 7644 §3.5.2) applied to one member's SCIM User JSON.

:func:`apply_patch` checks a PatchOp body, applies its operations in order to a
copy of the member and returns a :class:`MemberInput` that holds only what the
operations touched, so the domain applies all of it or nothing.

Besides the RFC it accepts the habits of the IdPs in IDP-REQUESTS.md: ops in any
case (Entra's ``Replace``), ``active`` as the strings ``"True"``/``"False"``, a
no-path value object with plain, dotted or full-URN keys, single values sent as
one-element lists, and a body without ``schemas`` (as Entra's examples show).
Attributes Rollcall does not store (``title``, ``phoneNumbers``, enterprise
attributes, ``id``, ``meta``, ``groups``, ``userType``, ``password``...) are
accepted and ignored. Only one email is stored, the primary one; other emails
an IdP adds are ignored, and the primary email itself can never change.
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any, Final

from rollcall.domain.members import MemberInput
from rollcall.errors import DomainError, MutabilityError
from rollcall.scim import valuepath
from rollcall.scim.errors import (
    InvalidPathError,
    InvalidSyntaxError,
    InvalidValueError,
    NoTargetError,
    SCIMError,
    TooManyError,
)
from rollcall.scim.valuepath import Filter

PATCH_OP_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:user"
CORE_SCHEMA_V1: Final = "urn:scim:schemas:core:1.0"
ENTERPRISE_SCHEMA: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
KNOWN_SCHEMAS: Final = (CORE_SCHEMA, CORE_SCHEMA_V1, ENTERPRISE_SCHEMA)
OPS: Final = ("add", "replace", "remove")

SIMPLE_FIELDS: Final = {
    "username": "user_name",
    "displayname": "display_name",
    "externalid": "external_id",
    "active": "active",
}
NAME_FIELDS: Final = {
    "givenname": "given_name",
    "familyname": "family_name",
    "formatted": "formatted_name",
}
EMAIL_SUBS: Final = ("value", "type", "primary", "display")

_NAME = r"[A-Za-z][A-Za-z0-9_$-]*"
_PATH = re.compile(rf"({_NAME})(?:\[(.*)\])?(?:\.({_NAME}))?", re.DOTALL)


@dataclass(frozen=True)
class Path:
    """A parsed PATCH path; ``attr`` None means the resource itself."""

    text: str
    attr: str | None
    sub: str | None = None
    filter: Filter | None = None
    ignored: bool = False


@dataclass
class WorkingCopy:
    """The working copy the operations change, and what they touched."""

    values: dict[str, Any]
    emails: list[dict[str, Any]]
    identity: str
    touched: set[str] = field(default_factory=set)

    def set(self, name: str, value: object) -> None:
        self.values[name] = value
        self.touched.add(name)


def apply_patch(
    body: object, current: dict[str, Any], *, max_operations: int
) -> MemberInput:
    """Apply the PatchOp ``body`` to ``current`` (SCIM User JSON).

    :returns: the attributes the operations touched; everything else UNSET.
    :raises InvalidSyntaxError: the body is not a PatchOp message.
    :raises TooManyError: more than ``max_operations`` operations.
    :raises InvalidPathError: a path is malformed or names an unknown schema.
    :raises InvalidFilterError: a value-path filter cannot be understood.
    :raises InvalidValueError: a value has the wrong type.
    :raises NoTargetError: a remove names nothing that exists.
    :raises MutabilityError: the operations remove userName or the email.
    """
    operations = _read_operations(body, max_operations)
    member = _load(current)
    for number, operation in enumerate(operations, start=1):
        try:
            _apply_operation(member, operation)
        except (SCIMError, DomainError) as exc:
            # The IdP's admin reads only this detail: say which operation failed.
            raise type(exc)(f"operation {number}: {exc.detail}") from exc
    return _member_input(member)


def _read_operations(body: object, max_operations: int) -> list[object]:
    if not isinstance(body, dict):
        raise InvalidSyntaxError("a PATCH body must be a JSON object (a PatchOp)")
    found, schemas = _lookup(body, "schemas")
    if found and not _names_patch_op(schemas):
        raise InvalidSyntaxError(f"schemas must contain {PATCH_OP_SCHEMA!r}")
    found, operations = _lookup(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntaxError("Operations must be a non-empty list")
    if len(operations) > max_operations:
        raise TooManyError(
            f"{len(operations)} operations in one PATCH; at most {max_operations}"
        )
    return operations


def _names_patch_op(schemas: object) -> bool:
    if not isinstance(schemas, list):
        return False
    return any(
        isinstance(s, str) and s.lower() == PATCH_OP_SCHEMA.lower() for s in schemas
    )


def _lookup(obj: dict[str, Any], name: str) -> tuple[bool, object]:
    """The member ``name`` of ``obj``, its key matched case-insensitively."""
    matches = [key for key in obj if key.lower() == name.lower()]
    if len(matches) > 1:
        raise InvalidSyntaxError(f"{name} appears more than once in one object")
    if not matches:
        return False, None
    return True, obj[matches[0]]


def _load(current: dict[str, Any]) -> WorkingCopy:
    name = _lookup(current, "name")[1]
    name = name if isinstance(name, dict) else {}
    values = {field: _lookup(current, attr)[1] for attr, field in SIMPLE_FIELDS.items()}
    values.update(
        {field: _lookup(name, attr)[1] for attr, field in NAME_FIELDS.items()}
    )
    emails = _lookup(current, "emails")[1]
    emails = emails if isinstance(emails, list) else []
    entries = [_email_entry(e, "emails") for e in emails if isinstance(e, dict)]
    member = WorkingCopy(values, entries, "")
    member.identity = (_primary_email(member) or "").lower()
    return member


def _apply_operation(member: WorkingCopy, operation: object) -> None:
    if not isinstance(operation, dict):
        raise InvalidSyntaxError("an operation must be a JSON object")
    op = _lookup(operation, "op")[1]
    if not isinstance(op, str) or op.lower() not in OPS:
        raise InvalidSyntaxError(f"op must be add, replace or remove; got {_show(op)}")
    op = op.lower()
    has_value, value = _lookup(operation, "value")
    if op != "remove" and not has_value:
        raise InvalidSyntaxError(f"{op} needs a value")

    path = _operation_path(_lookup(operation, "path")[1])
    _apply_path(member, op, path, value, nested=False)


def _operation_path(text: object) -> Path:
    """The op's path; a null or blank one is no path (the resource itself)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return Path("", None)
    if not isinstance(text, str):
        raise InvalidPathError("path must be a string")
    return _parse_path(text)


def _apply_path(
    member: WorkingCopy, op: str, path: Path, value: object, *, nested: bool
) -> None:
    if path.ignored:
        return
    if path.attr is None:
        _apply_value_object(member, op, path, value, nested=nested)
    elif path.attr == "emails":
        _apply_emails(member, op, path, value)
    elif path.attr == "name":
        _apply_name(member, op, path, value)
    else:
        _apply_simple(member, op, path, value)


def _apply_value_object(
    member: WorkingCopy, op: str, path: Path, value: object, *, nested: bool
) -> None:
    """RFC 7644 §3.5.2.1/3: without a path, ``value`` holds attributes by name."""
    if op == "remove":
        raise NoTargetError("remove needs a path naming what to remove")
    value = _single(value)
    if not isinstance(value, dict):
        raise InvalidValueError(f"{op} without a path needs an object of attributes")
    for key, item in value.items():
        if key.lower() == "schemas":
            continue
        inner = _parse_path(key)
        if inner.attr is None and nested:
            raise InvalidPathError(f"{_show(key)} cannot be nested in itself")
        _apply_path(member, op, inner, item, nested=True)


def _apply_simple(member: WorkingCopy, op: str, path: Path, value: object) -> None:
    assert path.attr is not None
    name = SIMPLE_FIELDS[path.attr]
    if path.sub is not None or path.filter is not None:
        raise InvalidPathError(f"{_show(path.text)}: {path.attr} has no sub-attributes")
    value = None if op == "remove" else _single(value)
    if name == "user_name" and value is None:
        raise MutabilityError("userName cannot be removed: it is the member's identity")
    if name == "active" and value is None:
        raise InvalidValueError("active cannot be removed; set it to true or false")
    if name == "active":
        member.set(name, _boolean(value, path.text))
    else:
        member.set(name, _string(value, path.text))


def _apply_name(member: WorkingCopy, op: str, path: Path, value: object) -> None:
    if path.filter is not None:
        raise InvalidPathError(f"{_show(path.text)}: name is not multi-valued")
    if path.sub is not None:
        name = NAME_FIELDS.get(path.sub)
        if name is not None:  # other parts (middleName...) are not stored
            member.set(
                name, None if op == "remove" else _string(_single(value), path.text)
            )
        return

    value = None if op == "remove" else _single(value)
    if value is None:
        for name in NAME_FIELDS.values():
            member.set(name, None)
        return
    if not isinstance(value, dict):
        raise InvalidValueError(f"{_show(path.text)} must be an object")
    # RFC 7644 §3.5.2.3: sub-attributes left out of the value stay unchanged.
    for key, item in value.items():
        name = NAME_FIELDS.get(key.lower())
        if name is not None:
            member.set(name, _string(_single(item), f"name.{key}"))


def _apply_emails(member: WorkingCopy, op: str, path: Path, value: object) -> None:
    if path.sub is not None and path.sub not in EMAIL_SUBS:
        return
    matches = _select(member.emails, path)
    if op == "remove":
        _remove_emails(member, path, matches)
    elif path.filter is None and path.sub is None:
        entries = _email_entries(value, path.text)
        # DESIGN.md: emails null or [] means "no change", never "delete".
        if entries and op == "replace":
            member.emails = []
        if entries:
            _append_emails(member, entries)
    else:
        _set_in_emails(member, op, path, value, matches)


def _set_in_emails(
    member: WorkingCopy, op: str, path: Path, value: object, matches: list[int]
) -> None:
    """Write through a value path; one that matches nothing adds a value."""
    member.touched.add("email")
    if not matches:
        member.emails.append(valuepath.implied(path.filter))
        matches = [len(member.emails) - 1]
    if path.sub is None:
        entry = _email_entry(_single(value), path.text)
        for i in matches:
            old = member.emails[i] if op == "add" else {}
            member.emails[i] = {**old, **entry}
    else:
        item = _email_entry({path.sub: _single(value)}, path.text)
        for i in matches:
            member.emails[i].update(item)
    _settle_primary(member, matches)


def _remove_emails(member: WorkingCopy, path: Path, matches: list[int]) -> None:
    if path.filter is None and path.sub is None:
        raise MutabilityError(
            "emails cannot be removed: the primary email is the member's identity"
        )
    if not matches:
        raise NoTargetError(f"{_show(path.text)} matches no email")
    if path.sub in (None, "value") and any(
        _fold(member.emails[i].get("value")) == member.identity for i in matches
    ):
        raise MutabilityError(
            "the primary email cannot be removed: it is the member's identity"
        )
    member.touched.add("email")
    if path.sub is None:
        member.emails = [e for i, e in enumerate(member.emails) if i not in matches]
    else:
        for i in matches:
            member.emails[i].pop(path.sub, None)


def _append_emails(member: WorkingCopy, entries: list[dict[str, Any]]) -> None:
    member.touched.add("email")
    start = len(member.emails)
    member.emails.extend(entries)
    _settle_primary(member, list(range(start, len(member.emails))))


def _settle_primary(member: WorkingCopy, written: list[int]) -> None:
    """RFC 7643 §2.4: ``primary`` is true at most once; the newest one wins."""
    if any(member.emails[i].get("primary") is True for i in written):
        for i, entry in enumerate(member.emails):
            if i not in written:
                entry["primary"] = False


def _email_entries(value: object, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    entries = [_email_entry(v, where) for v in values]
    if sum(e.get("primary") is True for e in entries) > 1:
        raise InvalidValueError(f"{_show(where)}: only one email can be primary")
    return entries


def _email_entry(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValueError(f"{_show(where)}: an email must be an object")
    entry: dict[str, Any] = {}
    for key, item in value.items():
        sub = key.lower()
        if sub == "primary":
            entry[sub] = _boolean(_single(item), f"{where}.primary")
        elif sub in EMAIL_SUBS:
            entry[sub] = _string(_single(item), f"{where}.{key}")
    return entry


def _select(emails: list[dict[str, Any]], path: Path) -> list[int]:
    if path.filter is None:
        return list(range(len(emails)))
    return [i for i, e in enumerate(emails) if valuepath.matches(path.filter, e)]


def _primary_email(member: WorkingCopy) -> str | None:
    """The email marked primary; else the member's own; else the first one."""
    primaries = [e for e in member.emails if e.get("primary") is True]
    own = [e for e in member.emails if _fold(e.get("value")) == member.identity]
    chosen = (primaries or own or member.emails or [{}])[0]
    value = chosen.get("value")
    return value if isinstance(value, str) else None


def _member_input(member: WorkingCopy) -> MemberInput:
    data = MemberInput()
    fields = {n: v for n, v in member.values.items() if n in member.touched}
    if "email" in member.touched and member.emails:
        email = _primary_email(member)
        if email is None or not email.strip():
            raise InvalidValueError("the primary email needs a value")
        fields["email"] = email
    return replace(data, **fields)


def _single(value: object) -> object:
    """IdPs send a single value as a one-element list (``"value": ["New"]``)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _string(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(f"{_show(where)} must be a string")
    # No database stores NUL in text and no driver encodes a lone surrogate.
    if "\x00" in value or _unencodable(value):
        raise InvalidValueError(f"{_show(where)} is not valid Unicode text")
    return value


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _boolean(value: object, where: str) -> bool:
    """A boolean, or Entra's and OneLogin's ``"True"``/``"false"`` strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValueError(f"{_show(where)} must be true or false")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_path(text: str) -> Path:
    """RFC 7644 §3.5.2 PATH: ``[URN:]attr[.sub]`` or ``attr[filter][.sub]``."""
    schema, rest = _split_schema(text.strip())
    if schema == ENTERPRISE_SCHEMA:
        return Path(text, None, ignored=True)
    if not rest:
        return Path(text, None)
    match = _PATH.fullmatch(rest)
    if match is None:
        raise InvalidPathError(f"{_show(text)} is not a valid attribute path")
    attr, filter_text, sub = match.group(1).lower(), match.group(2), match.group(3)
    known = attr in SIMPLE_FIELDS or attr in ("name", "emails")
    expr = None
    if filter_text is not None:
        expr = valuepath.parse(filter_text, EMAIL_SUBS if attr == "emails" else None)
    return Path(text, attr, sub.lower() if sub else None, expr, ignored=not known)


def _split_schema(text: str) -> tuple[str, str]:
    if not text.lower().startswith("urn:"):
        return CORE_SCHEMA, text
    for schema in KNOWN_SCHEMAS:
        if text.lower() == schema:
            return schema, ""
        if text.lower().startswith(schema + ":"):
            return schema, text[len(schema) + 1 :]
    raise InvalidPathError(
        f"{_show(text)} names a schema this service does not support"
    )
