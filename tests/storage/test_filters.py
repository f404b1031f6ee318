"""SCIM filters run as SQL on a real database, scoped to one org."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.errors import InvalidFilterError
from rollcall.scim.filters import ATTRIBUTES, parse_filter, parse_query
from rollcall.search import Comparison, Filter, Paging, Present, Search, Sort
from rollcall.storage.filters import filter_clause, sort_column
from rollcall.storage.models import Member, Org, Role
from tests.factories import make_member, make_org

IDP = Actor("idp", "test")


@dataclass(frozen=True)
class Team:
    org: Org
    other: Org


def add(
    db: Session,
    org: Org,
    email: str,
    given: str,
    family: str,
    **fields: object,
) -> Member:
    member = make_member(db, org, email, given=given, family=family)
    for name, value in fields.items():
        setattr(member, name, value)
    db.flush()
    return member


@pytest.fixture
def team(db: Session) -> Team:
    """Six members of one org, and a namesake of the first in another org."""
    org = make_org(db)
    other = make_org(db, name="Other Corp")
    add(
        db,
        org,
        "Ada.Lovelace@example.com",
        "Ada",
        "Lovelace",
        external_id="EXT-ada",
        display_name="Ada L",
        role=Role.OWNER,
        created_at=datetime(2024, 1, 10, tzinfo=UTC),
    )
    add(
        db,
        org,
        "grace+qa@example.com",
        "Grace",
        "Hopper",
        external_id="ext-Grace",
        display_name="",
        created_at=datetime(2024, 3, 1, 12, tzinfo=UTC),
    )
    linus = add(
        db,
        org,
        "linus_t@example.com",
        "Linus",
        "100%",
        display_name="C:\\Linus",
        created_at=datetime(2024, 6, 1, tzinfo=UTC),
    )
    members.update(db, org, linus, MemberInput(active=False), IDP)
    add(
        db,
        org,
        "alan@example.com",
        "alan",
        "Turing",
        created_at=datetime(2024, 9, 1, tzinfo=UTC),
    )
    add(db, org, "per%cent@example.com", "Percy", "Cent", display_name="P_C")
    gone = add(db, org, "gone@example.com", "Gone", "Away", external_id="EXT-gone")
    members.deprovision(db, org, gone, IDP)
    add(db, other, "ada.lovelace@example.com", "Ada", "Twin", external_id="EXT-ada")
    return Team(org, other)


def run(db: Session, org: Org, search: Search) -> list[str]:
    _total, page = members.search(db, org, search)
    return [member.email_lower for member in page]


def matching(db: Session, org: Org, filter_text: str) -> set[str]:
    node = parse_filter(filter_text, max_length=2048)
    total, page = members.search(db, org, Search(filter=node))
    assert total == len(page)
    return {member.email_lower for member in page}


ADA = "ada.lovelace@example.com"
GRACE = "grace+qa@example.com"
LINUS = "linus_t@example.com"
ALAN = "alan@example.com"
PERCY = "per%cent@example.com"
EVERYONE = {ADA, GRACE, LINUS, ALAN, PERCY}


def test_username_eq_ignores_case_and_stays_in_the_org(db: Session, team: Team) -> None:
    assert matching(db, team.org, 'userName eq "ADA.LOVELACE@EXAMPLE.COM"') == {ADA}
    found = members.search(
        db, team.other, Search(filter=Comparison("userName", "eq", ADA))
    )[1]
    assert [m.org_id for m in found] == [team.other.id]
    assert found[0].family_name == "Twin"


def test_username_eq_is_a_lookup_in_the_org_email_index(
    db: Session, team: Team
) -> None:
    clause = filter_clause(Comparison("userName", "eq", "Ada@Example.com"))
    compiled = clause.compile()
    assert str(compiled).startswith("members.email_lower = ")
    assert list(compiled.params.values()) == ["ada@example.com"]

    query = (
        select(Member.id)
        .where(Member.org_id == team.org.id)
        .where(filter_clause(Comparison("userName", "eq", ADA)))
    )
    sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ANALYZE members"))
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.execute(text(f"EXPLAIN {sql}")).scalars().all()
        assert "uq_members_org_email" in " ".join(plan)
    else:
        plan = [row[-1] for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        assert "INDEX" in plan[0]
        assert plan[0].endswith("(org_id=? AND email_lower=?)")


def test_plus_in_an_email_survives_the_query_string(db: Session, team: Team) -> None:
    encoded = parse_query(b"filter=userName+eq+%22grace%2Bqa%40example.com%22")
    assert matching(db, team.org, encoded["filter"]) == {GRACE}
    unquoted = parse_query(b"filter=userName+eq+grace+qa@example.com")
    assert matching(db, team.org, unquoted["filter"]) == {GRACE}
    assert matching(db, team.org, "userName eq grace qa@example.com") == {GRACE}


def test_email_value_filters_and_value_paths(db: Session, team: Team) -> None:
    org = team.org
    assert matching(db, org, 'emails.value eq "Alan@example.com"') == {ALAN}
    assert matching(db, org, 'emails[type eq "work"].value eq "alan@example.com"') == {
        ALAN
    }
    assert matching(db, org, 'emails[type eq "home"].value eq "alan@example.com"') == (
        set()
    )
    assert matching(db, org, 'emails[type eq "WORK" and primary eq true]') == EVERYONE
    assert matching(db, org, "emails[primary eq false]") == set()
    assert matching(db, org, 'not (emails[type eq "home"])') == EVERYONE
    assert matching(db, org, 'emails co "ALAN"') == {ALAN}


def test_external_id_is_case_exact(db: Session, team: Team) -> None:
    assert matching(db, team.org, 'externalId eq "EXT-ada"') == {ADA}
    assert matching(db, team.org, 'externalId eq "ext-ada"') == set()
    assert matching(db, team.other, 'externalId eq "EXT-ada"') == {ADA}


def test_case_exact_substring_operators_agree_on_both_databases(
    db: Session, team: Team
) -> None:
    """SQLite's LIKE ignores case; a case-exact attribute must not."""
    assert matching(db, team.org, 'externalId co "ext"') == {GRACE}
    assert matching(db, team.org, 'externalId co "EXT"') == {ADA}
    assert matching(db, team.org, 'externalId sw "EXT-"') == {ADA}
    assert matching(db, team.org, 'externalId ew "GRACE"') == set()
    assert matching(db, team.org, 'externalId ew "Grace"') == {GRACE}
    assert matching(db, team.org, 'externalId co ""') == {ADA, GRACE}


def test_id_eq_finds_the_member(db: Session, team: Team) -> None:
    ada = members.search(db, team.org, Search(filter=Present("externalId")))[1][0]
    assert matching(db, team.org, f'id eq "{ada.scim_id}"') == {ada.email_lower}
    assert matching(db, team.other, f'id eq "{ada.scim_id}"') == set()
    assert matching(db, team.org, f'id eq "{ada.scim_id.upper()}"') == set()


def test_ne_and_not_match_members_without_the_attribute(
    db: Session, team: Team
) -> None:
    """RFC 7644 §3.4.2.2: a comparison on an unassigned attribute is false."""
    expected = EVERYONE - {ADA}
    assert matching(db, team.org, 'externalId ne "EXT-ada"') == expected
    assert matching(db, team.org, 'not (externalId eq "EXT-ada")') == expected
    assert matching(db, team.org, 'not (externalId ne "EXT-ada")') == {ADA}
    assert matching(db, team.org, 'not (displayName co "a")') == EVERYONE - {ADA}


def test_present_requires_a_non_empty_value(db: Session, team: Team) -> None:
    assert matching(db, team.org, "externalId pr") == {ADA, GRACE}
    assert matching(db, team.org, "not (externalId pr)") == {LINUS, ALAN, PERCY}
    assert matching(db, team.org, "displayName pr") == {ADA, LINUS, PERCY}
    assert matching(db, team.org, "userName pr and active pr") == EVERYONE


def test_names_compare_without_case(db: Session, team: Team) -> None:
    org = team.org
    assert matching(db, org, 'name.familyName sw "LOVE"') == {ADA}
    assert matching(db, org, 'name.familyName ew "PER"') == {GRACE}
    assert matching(db, org, 'name.givenName co "LIN"') == {LINUS}
    assert matching(db, org, 'name.givenName eq "ALAN"') == {ALAN}
    assert matching(db, org, 'displayName eq "ada l"') == {ADA}
    assert matching(db, org, 'name.formatted eq "grace hopper"') == {GRACE}


def test_like_wildcards_in_values_are_literal(db: Session, team: Team) -> None:
    assert matching(db, team.org, 'userName co "%"') == {PERCY}
    assert matching(db, team.org, 'userName co "_"') == {LINUS}
    assert matching(db, team.org, 'name.familyName ew "0%"') == {LINUS}
    assert matching(db, team.org, 'displayName sw "p_"') == {PERCY}
    assert matching(db, team.org, r'displayName co "\\"') == {LINUS}
    assert matching(db, team.org, r'displayName eq "c:\\linus"') == {LINUS}


def test_ordering_operators_on_strings(db: Session, team: Team) -> None:
    org = team.org
    assert matching(db, org, 'name.givenName gt "b"') == {GRACE, LINUS, PERCY}
    assert matching(db, org, 'name.givenName ge "GRACE"') == {GRACE, LINUS, PERCY}
    assert matching(db, org, 'name.givenName lt "Alan"') == {ADA}
    assert matching(db, org, 'name.givenName le "alan"') == {ADA, ALAN}
    assert matching(db, org, 'externalId lt "a"') == {ADA}


def test_ordering_operators_on_timestamps(db: Session, team: Team) -> None:
    org = team.org
    assert matching(db, org, 'meta.created gt "2024-03-01T12:00:00Z"') == {
        LINUS,
        ALAN,
        PERCY,
    }
    assert matching(db, org, 'meta.created ge "2024-03-01T13:00:00+01:00"') == {
        GRACE,
        LINUS,
        ALAN,
        PERCY,
    }
    assert matching(db, org, 'meta.created lt "2024-03-01"') == {ADA}
    assert matching(db, org, "meta.created le 2024-03-01T12:00:00Z") == {ADA, GRACE}
    assert matching(db, org, 'meta.created eq "2024-06-01T00:00:00Z"') == {LINUS}
    assert matching(db, org, 'meta.created ne "2024-06-01T00:00:00Z"') == (
        EVERYONE - {LINUS}
    )
    assert matching(db, org, 'meta.lastModified gt "2000-01-01T00:00:00Z"') == (
        EVERYONE
    )


def test_active_reflects_the_member_state(db: Session, team: Team) -> None:
    assert matching(db, team.org, "active eq true") == EVERYONE - {LINUS}
    assert matching(db, team.org, "active eq false") == {LINUS}
    assert matching(db, team.org, "active ne true") == {LINUS}
    assert matching(db, team.org, "not (active eq false)") == EVERYONE - {LINUS}


def test_user_type_reflects_the_role(db: Session, team: Team) -> None:
    assert matching(db, team.org, 'userType eq "OWNER"') == {ADA}
    assert matching(db, team.org, 'userType ne "owner"') == EVERYONE - {ADA}


def test_resource_type_is_always_user(db: Session, team: Team) -> None:
    assert matching(db, team.org, 'meta.resourceType eq "User"') == EVERYONE
    assert matching(db, team.org, 'meta.resourceType eq "user"') == set()
    assert matching(db, team.org, 'meta.resourceType co "Group"') == set()


def test_and_or_not_combine(db: Session, team: Team) -> None:
    text = (
        '(name.givenName eq "ada" or name.givenName eq "grace") '
        'and not (externalId sw "EXT")'
    )
    assert matching(db, team.org, text) == {GRACE}
    text = 'active eq false or userName sw "per" and name.familyName eq "cent"'
    assert matching(db, team.org, text) == {LINUS, PERCY}


def test_deprovisioned_and_other_orgs_never_appear(db: Session, team: Team) -> None:
    assert matching(db, team.org, "userName pr") == EVERYONE
    assert matching(db, team.org, 'externalId eq "EXT-gone"') == set()
    assert matching(db, team.other, "userName pr") == {ADA}
    assert matching(db, team.other, 'name.familyName eq "Lovelace"') == set()


def test_sorted_pages_are_stable_and_cover_every_match(db: Session, team: Team) -> None:
    ordered = run(db, team.org, Search(sort=Sort("name.givenName")))
    assert ordered == [ADA, ALAN, GRACE, LINUS, PERCY]
    pages = [
        run(db, team.org, Search(sort=Sort("name.givenName"), paging=Paging(i, 2)))
        for i in (1, 3, 5)
    ]
    assert [email for page in pages for email in page] == ordered
    backwards = run(db, team.org, Search(sort=Sort("name.givenName", True)))
    assert backwards == ordered[::-1]


def test_unassigned_values_sort_last_ascending_and_first_descending(
    db: Session, team: Team
) -> None:
    """RFC 7644 §3.4.2.3, the same on SQLite and PostgreSQL."""
    ascending = run(db, team.org, Search(sort=Sort("externalId")))
    assert ascending[:2] == [ADA, GRACE]
    assert set(ascending[2:]) == {LINUS, ALAN, PERCY}
    descending = run(db, team.org, Search(sort=Sort("externalId", True)))
    assert descending[3:] == [GRACE, ADA]


def test_sort_by_constant_or_boolean_falls_back_to_a_stable_order(
    db: Session, team: Team
) -> None:
    by_row = run(db, team.org, Search())
    assert run(db, team.org, Search(sort=Sort("emails.type"))) == by_row
    assert run(db, team.org, Search(sort=Sort("meta.resourceType", True))) == by_row
    by_active = run(db, team.org, Search(sort=Sort("active")))
    assert by_active[0] == LINUS
    assert by_active[1:] == [e for e in by_row if e != LINUS]
    assert run(db, team.org, Search(sort=Sort("meta.created"))) == [
        ADA,
        GRACE,
        LINUS,
        ALAN,
        PERCY,
    ]


@pytest.mark.parametrize(
    "node",
    [
        Comparison("active", "gt", True),
        Comparison("active", "eq", "true"),
        Comparison("userName", "eq", True),
        Comparison("userName", "eq", None),
        Comparison("userName", "eq", 42),
        Comparison("meta.created", "eq", "2024-01-01"),
        Comparison("meta.created", "co", datetime(2024, 1, 1, tzinfo=UTC)),
        Comparison("meta.created", "eq", datetime(2024, 1, 1)),
        Comparison("emails.primary", "eq", "yes"),
        Comparison("emails.type", "eq", False),
        Comparison("password", "eq", "x"),
        Present("title"),
    ],
)
def test_filters_that_cannot_run_raise_invalid_filter(node: Filter) -> None:
    with pytest.raises(InvalidFilterError):
        filter_clause(node)


def test_unknown_sort_attribute_raises_invalid_filter() -> None:
    with pytest.raises(InvalidFilterError, match="cannot sort by"):
        sort_column("password")


CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
NAMES = [*ATTRIBUTES, "emails", "USERNAME", f"{CORE}:name.givenName", "title"]
LITERALS = st.one_of(
    st.text(max_size=10).map(json.dumps),
    st.sampled_from(["true", "false", "null", "12", "a@b.c", "2024-01-01", '"%"']),
    st.sampled_from(['"2024-03-01T12:00:00Z"', '"_"', r'"\\"', '"\\u0000"']),
)
OPERATORS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])


def _comparisons(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{} {} {}".format, names, OPERATORS, LITERALS),
        names.map("{} pr".format),
    )


def _combined(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds("{} and {}".format, inner, inner),
            st.builds("{} OR {}".format, inner, inner),
            inner.map("not ({})".format),
            inner.map("({})".format),
        ),
        max_leaves=6,
    )


SUB_NAMES = st.sampled_from(["type", "value", "primary", "display"])
VALUE_PATHS = st.builds(
    "emails[{}]{}".format,
    _combined(_comparisons(SUB_NAMES)),
    st.sampled_from(["", ".value pr", '.value co "a"', ".primary eq true"]),
)
GRAMMAR = _combined(st.one_of(_comparisons(st.sampled_from(NAMES)), VALUE_PATHS))
MUTATED = st.builds(
    lambda text, at, char: text[:at] + char + text[at:],
    GRAMMAR,
    st.integers(0, 60),
    st.sampled_from(list('()[]" +\\.')),
)
FILTER_TEXT = st.one_of(st.text(max_size=40), GRAMMAR, GRAMMAR, MUTATED)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(filter_text=FILTER_TEXT, sort=st.sampled_from([None, *ATTRIBUTES]))
def test_any_text_is_a_result_or_an_invalid_filter(
    db: Session, team: Team, filter_text: str, sort: str | None
) -> None:
    """Random text never fails another way, in the parser or the database."""
    try:
        node = parse_filter(filter_text, max_length=2048)
    except InvalidFilterError:
        return
    search = Search(filter=node, sort=Sort(sort) if sort else None)
    total, page = members.search(db, team.org, search)
    assert total >= len(page)
    assert all(member.org_id == team.org.id for member in page)
