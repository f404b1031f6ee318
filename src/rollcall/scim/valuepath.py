"""The filter inside a PATCH value path (``emails[type eq "work"]``), in memory.

RFC 7644 §3.5.2 lets a PATCH path select values of a multi-valued attribute
with a filter (§3.4.2.2 grammar). Unlike a search filter, which storage runs as
SQL, it selects among the few values of one member, so :func:`parse` builds a
small tree and :func:`matches` evaluates it on one value (a dict keyed by
lower-case sub-attribute names). Strings compare case-insensitively, as every
sub-attribute of ``emails`` is ``caseExact: false`` (RFC 7643 §4.1.2).
"""

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from rollcall.errors import InvalidFilterError

COMPARISONS: Final = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
MAX_DEPTH: Final = 16
MAX_TERMS: Final = 32

_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_$-]*")
_NON_SPACE: Final = re.compile(r"\S")
_TOKEN: Final = re.compile(r'("(?:[^"\\]|\\.)*")|([()])|([^\s()"]+)', re.DOTALL)
_KEYWORDS: Final[dict[str, object]] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class Compare:
    """``attr op value``; ``value`` is unused when ``op`` is ``pr``."""

    attr: str
    op: str
    value: object = None


@dataclass(frozen=True)
class Logic:
    """``left and right`` or ``left or right``."""

    op: str
    left: "Filter"
    right: "Filter"


@dataclass(frozen=True)
class Not:
    inner: "Filter"


Filter = Compare | Logic | Not


def parse(text: str, attributes: Collection[str] | None = None) -> Filter:
    """Parse a value-path filter; attribute names come out lower-cased.

    :param attributes: the sub-attributes the filter may name, or None for any.
    :raises InvalidFilterError: the filter is malformed, too large, or names an
        attribute outside ``attributes``.
    """
    parser = _Parser(_tokenize(text), attributes)
    expr = parser.parse_or(0)
    if parser.position != len(parser.tokens):
        raise InvalidFilterError(
            f"unexpected {_show(parser.tokens[parser.position])} in the value "
            f"filter {_show(text)}"
        )
    return expr


def matches(expr: Filter, value: dict[str, Any]) -> bool:
    """Whether one value of the multi-valued attribute satisfies ``expr``."""
    if isinstance(expr, Not):
        return not matches(expr.inner, value)
    if isinstance(expr, Logic) and expr.op == "and":
        return matches(expr.left, value) and matches(expr.right, value)
    if isinstance(expr, Logic):
        return matches(expr.left, value) or matches(expr.right, value)
    return _compare(expr, value.get(expr.attr))


def implied(expr: Filter | None) -> dict[str, object]:
    """The value that ``eq`` comparisons joined by ``and`` describe.

    ``type eq "work" and primary eq true`` gives ``{"type": "work", "primary":
    True}``: what a PATCH adds when its value path matches nothing.
    """
    if isinstance(expr, Compare) and expr.op == "eq" and expr.value is not None:
        return {expr.attr: expr.value}
    if isinstance(expr, Logic) and expr.op == "and":
        return {**implied(expr.left), **implied(expr.right)}
    return {}


def _compare(expr: Compare, actual: object) -> bool:
    if expr.op == "pr":
        return actual is not None and actual != ""
    if expr.op in ("eq", "ne"):
        same = type(actual) is type(expr.value) and _fold(actual) == _fold(expr.value)
        return same if expr.op == "eq" else not same
    if not isinstance(actual, str) or not isinstance(expr.value, str):
        return False
    a, b = actual.lower(), expr.value.lower()
    results = {
        "co": b in a,
        "sw": a.startswith(b),
        "ew": a.endswith(b),
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
    }
    return results[expr.op]


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = _skip_space(text, 0)
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidFilterError(f"an unclosed quote in the filter {_show(text)}")
        tokens.append(match.group(0))
        position = _skip_space(text, match.end())
    if not tokens:
        raise InvalidFilterError("a value path needs a filter between [ and ]")
    return tokens


def _skip_space(text: str, position: int) -> int:
    found = _NON_SPACE.search(text, position)
    return found.start() if found else len(text)


class _Parser:
    """Recursive descent over tokens: or-terms of and-terms of factors."""

    def __init__(self, tokens: list[str], attributes: Collection[str] | None):
        self.tokens = tokens
        self.attributes = attributes
        self.position = 0
        self.terms = 0

    def parse_or(self, depth: int) -> Filter:
        expr = self.parse_and(depth)
        while self._next_is("or"):
            expr = Logic("or", expr, self.parse_and(depth))
        return expr

    def parse_and(self, depth: int) -> Filter:
        expr = self.parse_factor(depth)
        while self._next_is("and"):
            expr = Logic("and", expr, self.parse_factor(depth))
        return expr

    def parse_factor(self, depth: int) -> Filter:
        if depth > MAX_DEPTH:
            raise InvalidFilterError("the value filter nests too deeply")
        if self._next_is("not"):
            return Not(self.parse_factor(depth + 1))
        if self._next_is("("):
            expr = self.parse_or(depth + 1)
            if not self._next_is(")"):
                raise InvalidFilterError("a ( in the value filter is not closed")
            return expr
        return self.parse_comparison()

    def parse_comparison(self) -> Compare:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidFilterError(
                f"the value filter has more than {MAX_TERMS} comparisons"
            )
        attr, op = self._take("an attribute name"), self._take("an operator").lower()
        if not _NAME.fullmatch(attr):
            raise InvalidFilterError(f"{_show(attr)} is not an attribute name")
        attr = attr.lower()
        if self.attributes is not None and attr not in self.attributes:
            raise InvalidFilterError(
                f"unknown sub-attribute {_show(attr)} in a value filter; "
                f"known: {', '.join(self.attributes)}"
            )
        if op == "pr":
            return Compare(attr, op)
        if op not in COMPARISONS:
            raise InvalidFilterError(f"unknown filter operator {_show(op)}")
        return Compare(attr, op, _literal(self._take(f"a value after {attr} {op}")))

    def _next_is(self, word: str) -> bool:
        found = (
            self.position < len(self.tokens)
            and self.tokens[self.position].lower() == word
        )
        if found:
            self.position += 1
        return found

    def _take(self, what: str) -> str:
        if self.position >= len(self.tokens):
            raise InvalidFilterError(f"the value filter ends where {what} belongs")
        self.position += 1
        return self.tokens[self.position - 1]


def _literal(token: str) -> object:
    if token.lower() in _KEYWORDS:
        return _KEYWORDS[token.lower()]
    try:
        value = json.loads(token)
    except ValueError as exc:
        raise InvalidFilterError(
            f"{_show(token)} is not a filter value; quote strings"
        ) from exc
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidFilterError(f"{_show(token)} is not a filter value")
    return value


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
