"""SCIM filter text (RFC 7644 §3.4.2.2) to a :mod:`rollcall.search` filter.

:func:`parse_query` decodes a raw query string, :func:`parse_filter` turns the
``filter`` parameter into a :data:`rollcall.search.Filter` whose attribute names
are canonical (``userName``, ``name.givenName``, ``emails.value``) and whose
values are typed for their attribute, and :func:`canonical_attribute` names an
attribute for ``sortBy`` as well. Anything that cannot be understood raises
:class:`~rollcall.errors.InvalidFilterError` with a detail that says why.

Identity providers encode filters loosely (IDP-REQUESTS.md, "Filter parsing and
``+``"). Only ``%2B`` is sure to mean a plus: a raw ``+`` is the space of form
encoding (``displayName eq "Ada+Lovelace"`` from httpx or a browser), so the
query string decodes it to a space, and the tokenizer also treats a ``+``
outside quotes as a space for bodies of ``POST .search``. Values may be left
unquoted (authentik): the words up to the next ``and``, ``or`` or bracket form
the value. An email never contains
whitespace, so whitespace in an email comparison value is taken for a mangled
``+``. A bare number is accepted as text, since no filterable attribute is
numeric (``externalId eq 12345``).

Inside a value path the conditions keep their full names: ``emails[type eq
"work"].value eq "x"`` becomes ``ValuePath("emails", And(emails.type eq "work",
emails.value eq "x"))``.
"""

import enum
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, get_args
from urllib.parse import unquote

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


class Kind(enum.Enum):
    """How an attribute's values compare (RFC 7643 §2.3 and §4.1)."""

    TEXT = "case-insensitive string"
    EXACT = "case-exact string"
    EMAIL = "email address"
    BOOLEAN = "boolean"
    DATETIME = "date-time"


ATTRIBUTES: Final[dict[str, Kind]] = {
    "id": Kind.EXACT,
    "externalId": Kind.EXACT,
    "userName": Kind.EMAIL,
    "displayName": Kind.TEXT,
    "name.givenName": Kind.TEXT,
    "name.familyName": Kind.TEXT,
    "name.formatted": Kind.TEXT,
    "active": Kind.BOOLEAN,
    "emails.value": Kind.EMAIL,
    "emails.type": Kind.TEXT,
    "emails.primary": Kind.BOOLEAN,
    "userType": Kind.TEXT,
    "meta.created": Kind.DATETIME,
    "meta.lastModified": Kind.DATETIME,
    "meta.resourceType": Kind.EXACT,
}
MULTI_VALUED: Final = ("emails",)
OPERATORS: Final[tuple[Operator, ...]] = get_args(Operator)
ORDERING: Final = ("gt", "ge", "lt", "le")
SUBSTRING: Final = ("co", "sw", "ew")

CORE_USER_SCHEMAS: Final = (
    "urn:ietf:params:scim:schemas:core:2.0:user",
    "urn:scim:schemas:core:1.0",
)
ENTERPRISE_USER_SCHEMA: Final = (
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
)
MAX_DEPTH: Final = 32
MAX_TERMS: Final = 200

_LOOKUP: Final = {name.lower(): name for name in ATTRIBUTES} | {
    # RFC 7644 §3.4.2.3: a multi-valued attribute sorts and compares by its value.
    "emails": "emails.value",
}
_SPACES: Final = " \t\r\n+"
_PUNCTUATION: Final = "()[]"
_WORD_END: Final = frozenset(_SPACES + _PUNCTUATION + '"')
_WHITESPACE = re.compile(r"\s")


def parse_query(raw: bytes) -> dict[str, str]:
    """Decode a raw query string: ``%2B`` is a plus, a raw ``+`` a space.

    An email never holds a space, so the parser turns whitespace in an email
    value back into the ``+`` an IdP left unencoded (DESIGN.md, "Filters").
    Names are lower-cased, a repeated name keeps its last value, and malformed
    percent escapes are left as they are.
    """
    params: dict[str, str] = {}
    for pair in raw.decode("utf-8", errors="replace").split("&"):
        if pair:
            name, _, value = pair.partition("=")
            name, value = name.replace("+", " "), value.replace("+", " ")
            params[unquote(name).lower()] = unquote(value)
    return params


def parse_filter(text: str, *, max_length: int) -> Filter:
    """Parse SCIM filter ``text`` into a filter tree with canonical names.

    :raises InvalidFilterError: the text is too long, malformed, names an
        attribute that cannot be filtered, or compares it with the wrong type.
    """
    if len(text) > max_length:
        raise InvalidFilterError(
            f"the filter is {len(text)} characters long; at most {max_length} "
            "are allowed"
        )
    _check_text(text, "the filter")
    return _Parser(text).parse()


def canonical_attribute(name: str) -> str:
    """The canonical name of a user-supplied attribute name or path.

    Names are case-insensitive and may carry the core User schema URN.

    :raises InvalidFilterError: the attribute is unknown or cannot be searched.
    """
    path = _strip_schema(name)
    canonical = _LOOKUP.get(path.lower())
    if canonical is None:
        raise InvalidFilterError(
            f"unknown attribute {_shorten(name)!r}; the attributes that can be "
            f"filtered and sorted on are {', '.join(ATTRIBUTES)}"
        )
    return canonical


def _strip_schema(name: str) -> str:
    lowered = name.lower()
    for urn in CORE_USER_SCHEMAS:
        if lowered.startswith(urn + ":"):
            return name[len(urn) + 1 :]
    if lowered.startswith(ENTERPRISE_USER_SCHEMA + ":"):
        raise InvalidFilterError(
            f"{_shorten(name)!r} is an enterprise extension attribute; Rollcall "
            "does not store those, so it cannot filter or sort on them"
        )
    if lowered.startswith("urn:"):
        raise InvalidFilterError(
            f"unknown schema in attribute {_shorten(name)!r}; only the core User "
            "schema can be filtered"
        )
    return name


def _check_text(text: str, what: str) -> None:
    # PostgreSQL refuses NUL in text and no driver can encode a lone surrogate:
    # both would fail in the database instead of here.
    if "\x00" in text:
        raise InvalidFilterError(f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidFilterError(f"{what} is not valid Unicode text") from exc


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Token:
    """A word, a decoded string literal, a bracket, or the end of the text."""

    kind: Literal["word", "string", "(", ")", "[", "]", "end"]
    text: str
    start: int
    end: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the filter"
        if self.kind == "string":
            return f"the string {_shorten(json.dumps(self.text))}"
        return f"{_shorten(self.text)!r} at character {self.start + 1}"

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def tokenize(text: str) -> list[Token]:
    """Split filter text into tokens; ``+`` outside quotes separates like a space.

    :raises InvalidFilterError: a string literal is unterminated or malformed.
    """
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in _SPACES:
            index += 1
            continue
        if char in _PUNCTUATION:
            tokens.append(Token(char, char, index, index + 1))  # type: ignore[arg-type]
            end = index + 1
        elif char == '"':
            end = _string_end(text, index)
            tokens.append(Token("string", _decode_string(text, index, end), index, end))
        else:
            end = _word_end(text, index)
            tokens.append(Token("word", text[index:end], index, end))
        index = end
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _string_end(text: str, start: int) -> int:
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == '"':
            return index + 1
        else:
            index += 1
    raise InvalidFilterError(
        f"the string that starts at character {start + 1} has no closing quote"
    )


def _decode_string(text: str, start: int, end: int) -> str:
    try:
        value: str = json.loads(text[start:end], strict=False)
    except ValueError as exc:
        raise InvalidFilterError(
            f"the string at character {start + 1} has an invalid escape sequence; "
            "strings follow JSON rules"
        ) from exc
    _check_text(value, f"the string at character {start + 1}")
    return value


def _word_end(text: str, start: int) -> int:
    index = start
    while index < len(text) and text[index] not in _WORD_END:
        index += 1
    return index


@dataclass(frozen=True)
class _RawValue:
    """A comparison value before it is typed for its attribute."""

    kind: Literal["string", "bare", "true", "false", "null"]
    text: str


class _Parser:
    """Recursive descent over the RFC 7644 §3.4.2.2 grammar.

    ``or`` binds loosest, then ``and``, then ``not`` and parentheses. Inside a
    value path, ``parent`` is the multi-valued attribute the names belong to.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.depth = 0
        self.terms = 0

    def parse(self) -> Filter:
        node = self.parse_or(None)
        self.expect("end")
        return node

    def parse_or(self, parent: str | None) -> Filter:
        node = self.parse_and(parent)
        while self.peek().is_keyword("or"):
            self.advance()
            node = Or(node, self.parse_and(parent))
        return node

    def parse_and(self, parent: str | None) -> Filter:
        node = self.parse_unary(parent)
        while self.peek().is_keyword("and"):
            self.advance()
            node = And(node, self.parse_unary(parent))
        return node

    def parse_unary(self, parent: str | None) -> Filter:
        token = self.peek()
        if token.is_keyword("not"):
            self.advance()
            with self.nested():
                return Not(self.parse_unary(parent))
        if token.kind == "(":
            self.advance()
            with self.nested():
                node = self.parse_or(parent)
            self.expect(")")
            return node
        return self.parse_attribute_expression(parent)

    def parse_attribute_expression(self, parent: str | None) -> Filter:
        token = self.advance()
        if token.kind != "word" or token.is_keyword("and", "or"):
            raise self.error(f"expected an attribute name, found {token.describe()}")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.error(f"the filter has more than {MAX_TERMS} comparisons")
        if self.peek().kind == "[":
            if parent is not None:
                raise self.error(f"value paths cannot be nested ({token.describe()})")
            return self.parse_value_path(token)
        if parent is not None:
            return self.parse_comparison(self.sub_attribute(parent, token))
        return self.parse_comparison(canonical_attribute(token.text))

    def parse_value_path(self, token: Token) -> Filter:
        parent = _strip_schema(token.text).lower()
        if parent not in MULTI_VALUED:
            raise self.error(
                f"{_shorten(token.text)!r} is not multi-valued; a [...] value "
                f"filter applies to {', '.join(MULTI_VALUED)} only"
            )
        self.expect("[")
        with self.nested():
            inner = self.parse_or(parent)
        closing = self.expect("]")
        after = self.peek()
        if after.kind == "word" and after.text.startswith("."):
            self.advance()
            if after.start != closing.end:
                raise self.error(f"unexpected space before {after.describe()}")
            named = Token("word", after.text[1:], after.start + 1, after.end)
            inner = And(inner, self.parse_comparison(self.sub_attribute(parent, named)))
        return ValuePath(parent, inner)

    def sub_attribute(self, parent: str, token: Token) -> str:
        name = _LOOKUP.get(f"{parent}.{token.text}".lower())
        if name is None:
            raise self.error(
                f"{parent} has no sub-attribute {_shorten(token.text)!r}; use one "
                f"of {', '.join(a for a in ATTRIBUTES if a.startswith(parent + '.'))}"
            )
        return name

    def parse_comparison(self, attribute: str) -> Filter:
        token = self.advance()
        operator = token.text.lower() if token.kind == "word" else ""
        if operator == "pr":
            return Present(attribute)
        if operator not in OPERATORS:
            raise self.error(
                f"expected an operator after {attribute} (one of "
                f"{', '.join(OPERATORS)}, pr), found {token.describe()}"
            )
        op: Operator = operator
        _check_operator(attribute, op)
        return Comparison(attribute, op, _typed_value(attribute, self.parse_value()))

    def parse_value(self) -> _RawValue:
        first = self.peek()
        if first.kind == "string":
            self.advance()
            return _RawValue("string", first.text)
        if first.kind != "word" or first.is_keyword("and", "or"):
            raise self.error(f"expected a value, found {first.describe()}")
        last = first
        while self.peek().kind == "word" and not self.peek().is_keyword("and", "or"):
            last = self.advance()
        if last is first and first.is_keyword("true", "false", "null"):
            return _RawValue(first.text.lower(), first.text)  # type: ignore[arg-type]
        return _RawValue("bare", self.text[first.start : last.end])

    def peek(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def expect(self, kind: str) -> Token:
        token = self.advance()
        if token.kind != kind:
            wanted = "the end of the filter" if kind == "end" else repr(kind)
            raise self.error(f"expected {wanted}, found {token.describe()}")
        return token

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the filter nests more than {MAX_DEPTH} levels deep")
        yield
        self.depth -= 1

    def error(self, problem: str) -> InvalidFilterError:
        return InvalidFilterError(f"invalid filter: {problem}")


def _check_operator(attribute: str, op: Operator) -> None:
    kind = ATTRIBUTES[attribute]
    if kind is Kind.BOOLEAN and op not in ("eq", "ne"):
        raise InvalidFilterError(
            f"{attribute} is a boolean; it can only be compared with eq or ne"
        )
    if kind is Kind.DATETIME and op in SUBSTRING:
        raise InvalidFilterError(
            f"{attribute} is a date-time; use eq, ne, gt, ge, lt or le, not {op}"
        )


def _typed_value(attribute: str, raw: _RawValue) -> Value:
    kind = ATTRIBUTES[attribute]
    if raw.kind == "null":
        raise InvalidFilterError(
            f"null cannot be compared with {attribute}; use '{attribute} pr' or "
            f"'not ({attribute} pr)'"
        )
    if kind is Kind.BOOLEAN:
        if raw.kind in ("true", "false"):
            return raw.kind == "true"
        raise InvalidFilterError(
            f"{attribute} is a boolean; compare it with true or false (unquoted)"
        )
    if raw.kind in ("true", "false"):
        raise InvalidFilterError(
            f"{attribute} is a {kind.value}; compare it with a string, not {raw.kind}"
        )
    if kind is Kind.DATETIME:
        return _parse_datetime(attribute, raw.text)
    if kind is Kind.EMAIL:
        return _WHITESPACE.sub("+", raw.text)
    if raw.kind == "bare":
        return raw.text.replace("+", " ")
    return raw.text


def _parse_datetime(attribute: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidFilterError(
            f"{attribute} takes an ISO 8601 date-time such as "
            f'"2024-05-01T12:00:00Z", not {_shorten(json.dumps(text))}'
        ) from exc
