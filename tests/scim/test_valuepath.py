"""The in-memory filter of PATCH value paths (``emails[type eq "work"]``)."""

from typing import Any

import pytest

from rollcall.errors import InvalidFilterError
from rollcall.scim import valuepath

WORK: dict[str, Any] = {"value": "Ada@Example.com", "type": "work", "primary": True}
HOME: dict[str, Any] = {"value": "ada@home.example", "type": "home", "primary": False}


def select(text: str) -> list[str]:
    expr = valuepath.parse(text, ("value", "type", "primary", "display"))
    return [e["type"] for e in (WORK, HOME) if valuepath.matches(expr, e)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('type eq "work"', ["work"]),
        ('TYPE EQ "WORK"', ["work"]),
        ("primary eq true", ["work"]),
        ("primary eq false", ["home"]),
        ('value eq "ada@example.com"', ["work"]),
        ('type ne "work"', ["home"]),
        ('value co "HOME"', ["home"]),
        ('value sw "ada@"', ["work", "home"]),
        ('value ew ".com"', ["work"]),
        ('type gt "home"', ["work"]),
        ("display pr", []),
        ("value pr", ["work", "home"]),
        ('type eq "work" or type eq "home"', ["work", "home"]),
        ('type eq "work" and primary eq false', []),
        ('not (type eq "work")', ["home"]),
        ('(type eq "home" or type eq "work") and primary eq true', ["work"]),
        ('type eq "work" or type eq "home" and primary eq true', ["work"]),
    ],
)
def test_filter_selects_the_matching_values(text: str, expected: list[str]) -> None:
    assert select(text) == expected


def test_ordering_a_boolean_matches_nothing() -> None:
    assert select('primary gt "a"') == []


def test_a_string_never_equals_a_boolean() -> None:
    assert select('primary eq "true"') == []


def test_unknown_sub_attribute_is_invalid_filter() -> None:
    with pytest.raises(InvalidFilterError, match="nickname"):
        select('nickname eq "x"')


def test_any_attribute_parses_when_no_list_is_given() -> None:
    expr = valuepath.parse('streetAddress sw "1"')

    assert valuepath.matches(expr, {"streetaddress": "1 Main St"})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "type",
        "type eq",
        'type zz "work"',
        "type eq work",
        'type eq "work',
        '(type eq "work"',
        'type eq "work")',
        '"type" eq "work"',
        'type eq "work" and',
        "type eq [1]",
    ],
)
def test_malformed_filters_are_invalid_filter(text: str) -> None:
    with pytest.raises(InvalidFilterError):
        valuepath.parse(text)


def test_implied_value_gathers_equalities_joined_by_and() -> None:
    expr = valuepath.parse('type eq "work" and primary eq true')

    assert valuepath.implied(expr) == {"type": "work", "primary": True}


def test_implied_value_is_empty_for_other_filters() -> None:
    assert valuepath.implied(valuepath.parse('type eq "a" or type eq "b"')) == {}
    assert valuepath.implied(valuepath.parse('type ne "a"')) == {}
