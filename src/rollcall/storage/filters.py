"""A :mod:`rollcall.search` filter as an SQL where-clause over allowed columns.

Only the attributes in :data:`ATTRIBUTES` can be filtered or sorted on; any
other name, an operator that does not suit the attribute, or a value of the
wrong type raises :class:`~rollcall.errors.InvalidFilterError`. Everything runs
in the database, and every clause is true or false, never NULL, so ``not``
keeps the RFC 7644 §3.4.2.2 meaning for unassigned attributes (``externalId ne
"x"`` and ``not (externalId eq "x")`` both match a member without one).

Case-insensitive strings compare lower-cased on both sides; ``userName`` and
``emails.value`` use the stored ``email_lower`` so that ``eq`` is a lookup in
``uq_members_org_email``. Ordering (``gt``, sorting) uses code point order on
both databases. SQLite's ``lower()`` folds ASCII letters only, so on SQLite a
name that differs from the filter value only in the case of a non-ASCII letter
(``É`` and ``é``) does not match; PostgreSQL folds every letter.
"""

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    false,
    func,
    not_,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from rollcall.errors import InvalidFilterError
from rollcall.search import (
    And,
    Comparison,
    Filter,
    Not,
    Operator,
    Or,
    Present,
    Value,
    ValuePath,
)
from rollcall.storage.models import Member, MemberState

INACTIVE_STATES: Final = (MemberState.DEACTIVATED, MemberState.DEPROVISIONED)
# Sorts after every real value in code point order: RFC 7644 §3.4.2.3 puts
# members without a value last when ascending and first when descending.
_UNASSIGNED_LAST: Final = "\U0010ffff"
_LIKE_ESCAPE: Final = "\\"


class Compare(enum.Enum):
    TEXT = "case-insensitive string"
    EXACT = "case-exact string"
    EMAIL = "email address"
    DATETIME = "date-time"
    ACTIVE = "boolean"
    CONSTANT = "constant"


@dataclass(frozen=True)
class Attribute:
    """How one SCIM attribute maps to a member column, or to a constant."""

    compare: Compare
    column: Any = None
    nullable: bool = False
    constant: str | bool | None = None
    constant_ignores_case: bool = False


ATTRIBUTES: Final[dict[str, Attribute]] = {
    "id": Attribute(Compare.EXACT, Member.scim_id),
    "externalId": Attribute(Compare.EXACT, Member.external_id, nullable=True),
    "userName": Attribute(Compare.EMAIL, Member.email_lower),
    "emails.value": Attribute(Compare.EMAIL, Member.email_lower),
    "displayName": Attribute(Compare.TEXT, Member.display_name, nullable=True),
    "name.givenName": Attribute(Compare.TEXT, Member.given_name, nullable=True),
    "name.familyName": Attribute(Compare.TEXT, Member.family_name, nullable=True),
    "name.formatted": Attribute(Compare.TEXT, Member.formatted_name, nullable=True),
    "userType": Attribute(Compare.TEXT, Member.role),
    "meta.created": Attribute(Compare.DATETIME, Member.created_at),
    "meta.lastModified": Attribute(Compare.DATETIME, Member.updated_at),
    "active": Attribute(Compare.ACTIVE),
    # A member has exactly one email, the primary work address.
    "emails.type": Attribute(
        Compare.CONSTANT, constant="work", constant_ignores_case=True
    ),
    "emails.primary": Attribute(Compare.CONSTANT, constant=True),
    "meta.resourceType": Attribute(Compare.CONSTANT, constant="User"),
}


class CodePointOrder(FunctionElement[str]):
    """Its argument, compared by code point on every database.

    SQLite compares text bytewise already; PostgreSQL follows the database's
    locale unless told to use the "C" collation.
    """

    type = String()
    inherit_cache = True


@compiles(CodePointOrder)
def _compile_code_point_order(
    element: CodePointOrder, compiler: SQLCompiler, **kw: Any
) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(CodePointOrder, "postgresql")
def _compile_code_point_order_postgresql(
    element: CodePointOrder, compiler: SQLCompiler, **kw: Any
) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def filter_clause(node: Filter) -> ColumnElement[bool]:
    """The where-clause for ``node``.

    :raises InvalidFilterError: an attribute, operator or value is not allowed.
    """
    match node:
        case And(left, right):
            return and_(filter_clause(left), filter_clause(right))
        case Or(left, right):
            return or_(filter_clause(left), filter_clause(right))
        case Not(operand):
            return not_(filter_clause(operand))
        case ValuePath(_, inner):
            # The single email is the only element, so "an email matches every
            # condition" is the same as "the conditions hold".
            return filter_clause(inner)
        case Present(attribute):
            return _present(attribute, _attribute(attribute))
        case Comparison(attribute, op, value):
            return _comparison(attribute, _attribute(attribute), op, value)
    raise InvalidFilterError(f"cannot filter on {node!r}")


def sort_column(attribute: str) -> ColumnElement[Any]:
    """The expression that orders members by ``attribute`` (ascending).

    :raises InvalidFilterError: the attribute cannot be sorted on.
    """
    spec = _attribute(attribute, action="sort by")
    match spec.compare:
        case Compare.TEXT | Compare.EXACT | Compare.EMAIL:
            value = _folded(spec)
            if spec.nullable:
                value = func.coalesce(value, _UNASSIGNED_LAST)
            return CodePointOrder(value)
        case Compare.DATETIME:
            return spec.column  # type: ignore[no-any-return]
        case Compare.ACTIVE:
            return case((_is_active(), 1), else_=0)
    # Every member has the same constant; org_id is as constant within the
    # org's rows, so the order falls to the row id that follows.
    return Member.org_id  # type: ignore[return-value]


def _attribute(name: str, action: str = "filter on") -> Attribute:
    spec = ATTRIBUTES.get(name)
    if spec is None:
        raise InvalidFilterError(f"cannot {action} attribute {name!r}")
    return spec


def _present(name: str, spec: Attribute) -> ColumnElement[bool]:
    if not spec.nullable:
        return true()
    return and_(spec.column.is_not(None), spec.column != "")


def _comparison(
    name: str, spec: Attribute, op: Operator, value: Value
) -> ColumnElement[bool]:
    if value is None:
        raise InvalidFilterError(f"{name} cannot be compared with null; use pr")
    match spec.compare:
        case Compare.ACTIVE:
            return _compare_active(name, op, value)
        case Compare.CONSTANT:
            return _compare_constant(name, spec, op, value)
        case Compare.DATETIME:
            return _compare_datetime(name, spec, op, value)
    if not isinstance(value, str):
        raise InvalidFilterError(f"{name} is a string; compare it with a string")
    clause = _compare_text(spec, op, _fold_value(spec, value))
    if not spec.nullable:
        return clause
    if op == "ne":
        return or_(spec.column.is_(None), clause)
    return and_(spec.column.is_not(None), clause)


def _compare_active(name: str, op: Operator, value: Value) -> ColumnElement[bool]:
    if not isinstance(value, bool) or op not in ("eq", "ne"):
        raise InvalidFilterError(f"{name} is a boolean; use eq or ne with true/false")
    wanted = value if op == "eq" else not value
    return _is_active() if wanted else not_(_is_active())


def _is_active() -> ColumnElement[bool]:
    return Member.state.not_in(INACTIVE_STATES)


def _compare_constant(
    name: str, spec: Attribute, op: Operator, value: Value
) -> ColumnElement[bool]:
    constant = spec.constant
    if isinstance(constant, bool):
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise InvalidFilterError(f"{name} is a boolean; use eq or ne")
        return true() if (constant == value) == (op == "eq") else false()
    if not isinstance(value, str) or not isinstance(constant, str):
        raise InvalidFilterError(f"{name} is a string; compare it with a string")
    if spec.constant_ignores_case:
        constant, value = constant.lower(), value.lower()
    return true() if _holds(constant, op, value) else false()


def _holds(actual: str, op: Operator, value: str) -> bool:
    match op:
        case "eq":
            return actual == value
        case "ne":
            return actual != value
        case "co":
            return value in actual
        case "sw":
            return actual.startswith(value)
        case "ew":
            return actual.endswith(value)
        case "gt":
            return actual > value
        case "ge":
            return actual >= value
        case "lt":
            return actual < value
    return actual <= value


def _compare_datetime(
    name: str, spec: Attribute, op: Operator, value: Value
) -> ColumnElement[bool]:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidFilterError(f"{name} is a date-time; compare it with one")
    column = spec.column
    match op:
        case "eq":
            return column == value  # type: ignore[no-any-return]
        case "ne":
            return column != value  # type: ignore[no-any-return]
        case "gt":
            return column > value  # type: ignore[no-any-return]
        case "ge":
            return column >= value  # type: ignore[no-any-return]
        case "lt":
            return column < value  # type: ignore[no-any-return]
        case "le":
            return column <= value  # type: ignore[no-any-return]
    raise InvalidFilterError(f"{name} is a date-time; {op} does not apply to it")


def _folded(spec: Attribute) -> ColumnElement[Any]:
    """The column as compared: lower-cased for case-insensitive text."""
    if spec.compare is Compare.TEXT:
        return func.lower(spec.column)
    return spec.column  # type: ignore[no-any-return]


def _fold_value(spec: Attribute, value: str) -> str:
    return value if spec.compare is Compare.EXACT else value.lower()


def _compare_text(spec: Attribute, op: Operator, value: str) -> ColumnElement[bool]:
    column = _folded(spec)
    match op:
        case "eq":
            return column == value
        case "ne":
            return column != value
        case "co" | "sw" | "ew":
            return _like(spec, column, op, value)
    ordered = CodePointOrder(column)
    match op:
        case "gt":
            return ordered > value
        case "ge":
            return ordered >= value
        case "lt":
            return ordered < value
    return ordered <= value


def _like(
    spec: Attribute, column: ColumnElement[Any], op: Operator, value: str
) -> ColumnElement[bool]:
    escaped = (
        value.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    pattern = {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op]
    clause = column.like(pattern, escape=_LIKE_ESCAPE)
    if spec.compare is not Compare.EXACT or not value:
        return clause
    # SQLite's LIKE ignores ASCII case; a case-exact attribute must not.
    return and_(clause, _contains_exactly(column, op, value))


def _contains_exactly(
    column: ColumnElement[Any], op: Operator, value: str
) -> ColumnElement[bool]:
    if op == "sw":
        return func.substr(column, 1, len(value)) == value
    if op == "ew":
        return func.substr(column, func.length(column) - len(value) + 1) == value
    return func.replace(column, value, "") != column
