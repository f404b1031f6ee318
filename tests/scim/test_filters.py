"""The SCIM filter parser and query decoder (RFC 7644 §3.4.2.2)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rollcall.errors import InvalidFilterError
from rollcall.scim.filters import (
    MAX_DEPTH,
    canonical_attribute,
    parse_filter,
    parse_query,
)
from rollcall.search import (
    And,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from tests.scim.conftest import SCIMClient, assert_scim_error

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def parse(text: str) -> Filter:
    return parse_filter(text, max_length=2048)


def invalid(text: str) -> str:
    with pytest.raises(InvalidFilterError) as caught:
        parse(text)
    return caught.value.detail


def test_parse_query_keeps_encoded_plus_as_plus() -> None:
    raw = b"filter=userName+eq+%22user%2Bqa%40example.com%22"
    assert parse_query(raw) == {"filter": 'userName eq "user+qa@example.com"'}


def test_parse_query_reads_a_raw_plus_as_the_space_a_form_encoder_meant() -> None:
    """httpx, requests and browsers send the space of ``Ada Lovelace`` as ``+``."""
    raw = b"filter=displayName+eq+%22Ada+Lovelace%22"
    assert parse(parse_query(raw)["filter"]) == Comparison(
        "displayName", "eq", "Ada Lovelace"
    )


def test_raw_plus_inside_a_quoted_email_still_finds_the_email() -> None:
    """An IdP that leaves the ``+`` of an address unencoded is still understood."""
    raw = b'filter=userName%20eq%20"first+last@example.com"'
    assert parse(parse_query(raw)["filter"]) == Comparison(
        "userName", "eq", "first+last@example.com"
    )


def test_parse_query_lower_cases_names_and_keeps_the_last_repeat() -> None:
    params = parse_query(b"Filter=a&startIndex=2&COUNT=5&count=7")
    assert params == {"filter": "a", "startindex": "2", "count": "7"}


def test_parse_query_survives_malformed_escapes_and_empty_pairs() -> None:
    params = parse_query(b"a=%zz&&b=%&c&d=%e9&=x&e=1=2")
    assert params == {"a": "%zz", "b": "%", "c": "", "d": "\ufffd", "": "x", "e": "1=2"}


def test_parse_query_does_not_split_on_an_encoded_ampersand() -> None:
    assert parse_query(b"filter=displayName+eq+%22A%26B%22") == {
        "filter": 'displayName eq "A&B"'
    }


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator_parses(op: str) -> None:
    assert parse(f'displayName {op} "Ada"') == Comparison("displayName", op, "Ada")  # type: ignore[arg-type]


def test_present_parses() -> None:
    assert parse("externalId pr") == Present("externalId")


def test_operators_and_attribute_names_are_case_insensitive() -> None:
    assert parse('USERNAME EQ "a@example.com"') == parse('userName eq "a@example.com"')
    assert parse("Name.GivenName PR") == Present("name.givenName")
    assert parse('ExternalID Sw "x" AND Active Eq TRUE') == And(
        Comparison("externalId", "sw", "x"), Comparison("active", "eq", True)
    )


def test_and_binds_tighter_than_or() -> None:
    a = Comparison("displayName", "eq", "a")
    b = Comparison("displayName", "eq", "b")
    c = Comparison("displayName", "eq", "c")
    text = 'displayName eq "a" or displayName eq "b" and displayName eq "c"'
    assert parse(text) == Or(a, And(b, c))
    text = 'displayName eq "a" and displayName eq "b" or displayName eq "c"'
    assert parse(text) == Or(And(a, b), c)


def test_parentheses_override_precedence() -> None:
    text = '(displayName eq "a" or displayName eq "b") and displayName eq "c"'
    assert parse(text) == And(
        Or(Comparison("displayName", "eq", "a"), Comparison("displayName", "eq", "b")),
        Comparison("displayName", "eq", "c"),
    )


def test_and_or_chains_associate_left() -> None:
    text = "id pr and externalId pr and userName pr"
    assert parse(text) == And(
        And(Present("id"), Present("externalId")), Present("userName")
    )


def test_not_negates_a_parenthesised_filter() -> None:
    text = 'not (userName eq "a@example.com" or active eq false)'
    assert parse(text) == Not(
        Or(
            Comparison("userName", "eq", "a@example.com"),
            Comparison("active", "eq", False),
        )
    )
    assert parse("NOT(id pr)") == Not(Present("id"))


def test_value_path_with_and_inside_brackets() -> None:
    text = 'emails[type eq "work" and primary eq true]'
    assert parse(text) == ValuePath(
        "emails",
        And(
            Comparison("emails.type", "eq", "work"),
            Comparison("emails.primary", "eq", True),
        ),
    )


def test_value_path_with_sub_attribute_comparison() -> None:
    text = 'emails[type eq "work"].value eq "a@example.com"'
    assert parse(text) == ValuePath(
        "emails",
        And(
            Comparison("emails.type", "eq", "work"),
            Comparison("emails.value", "eq", "a@example.com"),
        ),
    )


def test_value_path_combines_with_other_expressions() -> None:
    text = 'EMAILS[TYPE eq "work"].VALUE pr and not (emails[primary eq false])'
    assert parse(text) == And(
        ValuePath(
            "emails",
            And(Comparison("emails.type", "eq", "work"), Present("emails.value")),
        ),
        Not(ValuePath("emails", Comparison("emails.primary", "eq", False))),
    )


def test_dotted_email_value_is_a_plain_comparison() -> None:
    assert parse('emails.value eq "a@example.com"') == Comparison(
        "emails.value", "eq", "a@example.com"
    )


def test_multi_valued_attribute_alone_means_its_value() -> None:
    assert parse('emails co "example.com"') == Comparison(
        "emails.value", "co", "example.com"
    )


def test_full_urn_attribute_names_are_accepted() -> None:
    assert parse(f'{CORE}:userName eq "a@example.com"') == Comparison(
        "userName", "eq", "a@example.com"
    )
    assert parse(f"{CORE.upper()}:name.familyName pr") == Present("name.familyName")
    assert parse(f'{CORE}:emails[type eq "work"]') == ValuePath(
        "emails", Comparison("emails.type", "eq", "work")
    )


def test_enterprise_attributes_are_refused_with_a_reason() -> None:
    detail = invalid(f'{ENTERPRISE}:employeeNumber eq "42"')
    assert "enterprise extension" in detail


def test_unknown_schema_urn_is_refused() -> None:
    assert "unknown schema" in invalid('urn:example:custom:1.0:User:shoe eq "42"')


def test_plus_outside_quotes_is_a_space_and_inside_quotes_is_literal() -> None:
    decoded = parse_query(b"filter=userName+eq+%22user%2Bqa%40example.com%22")
    assert parse(decoded["filter"]) == Comparison(
        "userName", "eq", "user+qa@example.com"
    )


def test_unquoted_email_keeps_its_plus() -> None:
    """authentik sends values without quotes and ``+`` between tokens."""
    assert parse("userName+eq+user1+qa@example.com") == Comparison(
        "userName", "eq", "user1+qa@example.com"
    )
    assert parse("userName eq user1@example.com") == Comparison(
        "userName", "eq", "user1@example.com"
    )


def test_email_value_with_a_space_where_a_plus_was_sent_is_repaired() -> None:
    """A form decoder turned the ``+`` of the address into a space."""
    assert parse("userName eq user1 qa@example.com") == Comparison(
        "userName", "eq", "user1+qa@example.com"
    )
    assert parse('emails.value eq "user1 qa@example.com"') == Comparison(
        "emails.value", "eq", "user1+qa@example.com"
    )


def test_unquoted_value_ends_at_and_or_and_brackets() -> None:
    text = "userName eq a@example.com and (displayName eq Ada+Lovelace or id pr)"
    assert parse(text) == And(
        Comparison("userName", "eq", "a@example.com"),
        Or(Comparison("displayName", "eq", "Ada Lovelace"), Present("id")),
    )
    assert parse("emails[type eq work]") == ValuePath(
        "emails", Comparison("emails.type", "eq", "work")
    )


def test_unquoted_number_is_text_for_string_attributes() -> None:
    assert parse("externalId eq 12345") == Comparison("externalId", "eq", "12345")


def test_string_escapes_follow_json() -> None:
    text = r'displayName eq "Ada \"The Countess\" L\u00f6velace\\\/"'
    assert parse(text) == Comparison(
        "displayName", "eq", 'Ada "The Countess" Lövelace\\/'
    )


def test_quoted_keywords_are_plain_strings() -> None:
    text = 'displayName eq "and" or displayName eq "true"'
    assert parse(text) == Or(
        Comparison("displayName", "eq", "and"), Comparison("displayName", "eq", "true")
    )


def test_boolean_literals_are_booleans() -> None:
    assert parse("active eq true") == Comparison("active", "eq", True)
    assert parse("active ne False") == Comparison("active", "ne", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"2024-05-01T12:00:00Z"', datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ('"2024-05-01T14:30:00+02:00"', datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ('"2024-05-01T12:00:00.250Z"', datetime(2024, 5, 1, 12, 0, 0, 250000, UTC)),
        ('"2024-05-01"', datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T12:00:00-05:00", datetime(2024, 5, 1, 17, tzinfo=UTC)),
    ],
)
def test_date_comparisons_parse_iso_8601_into_aware_utc(
    text: str, expected: datetime
) -> None:
    node = parse(f"meta.lastModified gt {text}")
    assert isinstance(node, Comparison)
    assert node.value == expected
    assert isinstance(node.value, datetime)
    assert node.value.utcoffset() == timedelta(0)


def test_date_with_other_offset_keeps_its_instant() -> None:
    node = parse('meta.created ge "2024-01-01T09:00:00+09:00"')
    assert isinstance(node, Comparison)
    plus_nine = timezone(timedelta(hours=9))
    assert node.value == datetime(2024, 1, 1, 9, tzinfo=plus_nine)


def test_canonical_attribute_maps_any_case_and_urn_prefix() -> None:
    assert canonical_attribute("USERNAME") == "userName"
    assert canonical_attribute("meta.lastmodified") == "meta.lastModified"
    assert canonical_attribute(f"{CORE}:name.givenName") == "name.givenName"
    assert canonical_attribute("urn:scim:schemas:core:1.0:externalId") == "externalId"
    assert canonical_attribute("emails") == "emails.value"


@pytest.mark.parametrize("name", ["password", "name", "emails.display", "", "x.y.z"])
def test_canonical_attribute_refuses_unknown_names(name: str) -> None:
    with pytest.raises(InvalidFilterError, match="unknown attribute"):
        canonical_attribute(name)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('title eq "x"', "unknown attribute 'title'"),
        ('userName xx "a"', "expected an operator after userName"),
        ("userName eq", "expected a value, found the end"),
        ('userName eq "a" and', "expected an attribute name, found the end"),
        ('userName eq "a" userName', "expected the end of the filter"),
        ('(userName eq "a"', "expected ')'"),
        ('userName eq "a")', "expected the end of the filter, found ')'"),
        ('userName eq "a', "no closing quote"),
        (r'userName eq "\x41"', "invalid escape"),
        ("", "expected an attribute name, found the end"),
        ("   +  ", "expected an attribute name"),
        ('emails[type eq "work"', "expected ']'"),
        ('emails[value eq "a"] eq "b"', "expected the end of the filter"),
        ('name[givenName eq "a"]', "a [...] value filter applies to emails"),
        ('emails[emails[type eq "a"]]', "cannot be nested"),
        ('emails[display eq "a"]', "emails has no sub-attribute 'display'"),
        ('emails[type eq "work"] .value eq "a"', "unexpected space"),
        ("userName eq null", "use 'userName pr'"),
        ("active ne null", "null cannot be compared with active"),
        ('active eq "true"', "active is a boolean"),
        ("userName eq true", "compare it with a string"),
        ("active gt false", "can only be compared with eq or ne"),
        ('emails.primary co "t"', "can only be compared with eq or ne"),
        ('meta.created co "2024"', "meta.created is a date-time"),
        ('meta.created gt "yesterday"', "ISO 8601"),
        ('meta.created gt "0001-01-01T00:00:00+01:00"', "ISO 8601"),
        ('displayName eq "\\u0000"', "NUL"),
        ('displayName eq "\\ud800"', "not valid Unicode"),
        ("and eq 1", "expected an attribute name, found 'and'"),
        ('userName eq "a" or or', "expected an attribute name"),
    ],
)
def test_invalid_filters_raise_with_a_detail_naming_the_problem(
    text: str, named: str
) -> None:
    assert named in invalid(text)


def test_filter_longer_than_the_limit_is_refused() -> None:
    text = 'displayName eq "' + "a" * 100 + '"'
    with pytest.raises(InvalidFilterError, match="at most 64"):
        parse_filter(text, max_length=64)
    assert parse_filter(text, max_length=len(text)) == Comparison(
        "displayName", "eq", "a" * 100
    )


def test_deep_nesting_is_refused_instead_of_overflowing_the_stack() -> None:
    ok = "(" * MAX_DEPTH + "id pr" + ")" * MAX_DEPTH
    assert parse(ok) == Present("id")
    too_deep = "(" * (MAX_DEPTH + 1) + "id pr" + ")" * (MAX_DEPTH + 1)
    assert "nests more than" in invalid(too_deep)
    with pytest.raises(InvalidFilterError, match="nests more than"):
        parse_filter("not " * 600 + "id pr", max_length=4000)


def test_too_many_comparisons_are_refused() -> None:
    text = " or ".join(["id pr"] * 201)
    with pytest.raises(InvalidFilterError, match="more than 200 comparisons"):
        parse_filter(text, max_length=len(text))


def test_loosely_encoded_filters_find_the_member_over_http(scim: SCIMClient) -> None:
    """IdPs encode the same lookup several ways; each finds ``user+qa``."""
    created = scim.create("user+qa@example.com")
    scim.create("userqa@example.com")
    queries = [
        "userName+eq+%22user%2Bqa%40example.com%22",
        "userName+eq+user%2Bqa@example.com",
        "userName%20eq%20user+qa@example.com",
        'userName eq "USER+qa@example.com"',
        "emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22User%2BQA%40example.com%22",
        'emails[type eq "work" and primary eq true] and userName sw "user+"',
    ]
    for query in queries:
        response = scim.get(f"/Users?filter={query}")
        assert response.status_code == 200, (query, response.text)
        body = response.json()
        assert body["totalResults"] == 1, query
        assert body["Resources"][0]["id"] == created["id"]


def test_sort_by_any_case_orders_the_list_over_http(scim: SCIMClient) -> None:
    for email, given in (("b@example.com", "bea"), ("a@example.com", "Zoe")):
        scim.create(email, name={"givenName": given, "familyName": "X"})
    response = scim.get("/Users?sortBy=NAME.GIVENNAME&sortOrder=descending")
    assert response.status_code == 200, response.text
    assert [r["name"]["givenName"] for r in response.json()["Resources"]] == [
        "Zoe",
        "bea",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "filter=active%20eq%20%22yes%22",
        "filter=userName%20eq%20null",
        "filter=meta.created%20gt%20%22soon%22",
        "filter=displayName%20eq%20%22%5Cu0000%22",
        "filter=displayName%20eq%20%22a%00%22",
        "filter=" + "%28" * 40 + "id%20pr" + "%29" * 40,
        "filter=title%20eq%20%22x%22",
        "filter=userName%20eq%20%22a%22%20%22b%22",
        "filter=%ff%fe",
        "sortBy=password",
    ],
)
def test_bad_filters_answer_invalid_filter_over_http(
    scim: SCIMClient, query: str
) -> None:
    response = scim.get(f"/Users?{query}")
    assert assert_scim_error(response, 400, "invalidFilter")
