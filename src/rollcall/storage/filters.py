"""A :mod:`rollcall.search` filter as an SQL where-clause over allowed columns.

Only the attributes in :data:`COLUMNS` can be filtered or sorted on; any other
name raises :class:`~rollcall.errors.InvalidFilterError`. String attributes that
SCIM defines as case-insensitive are compared on lower-cased values.
"""

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from rollcall.errors import InvalidFilterError
from rollcall.search import And, Comparison, Filter, Not, Or, Present, ValuePath
from rollcall.storage.models import Member

COLUMNS: dict[str, InstrumentedAttribute[object]] = {
    "id": Member.scim_id,
    "externalId": Member.external_id,
    "userName": Member.email_lower,
    "emails.value": Member.email_lower,
}


def filter_clause(node: Filter) -> ColumnElement[bool]:
    match node:
        case And(left, right):
            return and_(filter_clause(left), filter_clause(right))
        case Or(left, right):
            return or_(filter_clause(left), filter_clause(right))
        case Not(operand):
            return not_(filter_clause(operand))
        case Comparison(attribute, "eq", value) if attribute in COLUMNS:
            column = COLUMNS[attribute]
            if attribute in ("userName", "emails.value") and isinstance(value, str):
                value = value.lower()
            return column == value
        case Present(attribute) if attribute in COLUMNS:
            return COLUMNS[attribute].is_not(None)
        case ValuePath():
            raise InvalidFilterError("value paths are not supported yet")
    raise InvalidFilterError(f"cannot filter on {node!r}")


def sort_column(attribute: str) -> ColumnElement[object]:
    if attribute not in COLUMNS:
        raise InvalidFilterError(f"cannot sort by {attribute!r}")
    return func.lower(COLUMNS[attribute])


__all__ = ["false", "filter_clause", "sort_column", "true"]
