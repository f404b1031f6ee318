"""A search over members as plain values: filter tree, sort and paging.

The SCIM layer parses filter text into these; storage compiles them to SQL. The
attribute names are the SCIM ones in canonical case (``userName``,
``name.givenName``, ``emails.value``); comparison values are already typed.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

Operator = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
Value: TypeAlias = str | bool | int | float | datetime | None


@dataclass(frozen=True)
class Comparison:
    """``attribute op value``, for example ``userName eq "a@example.com"``."""

    attribute: str
    op: Operator
    value: Value


@dataclass(frozen=True)
class Present:
    """``attribute pr``: the attribute has a non-empty value."""

    attribute: str


@dataclass(frozen=True)
class And:
    left: "Filter"
    right: "Filter"


@dataclass(frozen=True)
class Or:
    left: "Filter"
    right: "Filter"


@dataclass(frozen=True)
class Not:
    operand: "Filter"


@dataclass(frozen=True)
class ValuePath:
    """``emails[type eq "work"]``: ``inner`` names sub-attributes of ``attribute``."""

    attribute: str
    inner: "Filter"


Filter: TypeAlias = Comparison | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class Sort:
    attribute: str
    descending: bool = False


@dataclass(frozen=True)
class Paging:
    """1-based ``start_index`` and a page size ``count``, both already clamped."""

    start_index: int = 1
    count: int = 100


@dataclass(frozen=True)
class Search:
    filter: Filter | None = None
    sort: Sort | None = None
    paging: Paging = Paging()
