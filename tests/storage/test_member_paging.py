"""Paging the org's members: the index-only path agrees with a plain OFFSET."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import LISTED_STATES, MemberInput
from rollcall.search import Comparison, Paging, Search, Sort
from rollcall.storage import queries
from rollcall.storage.models import Member, Org
from tests.factories import make_member, make_org

IDP = Actor("idp", "test")


def _seed(db: Session) -> tuple[Org, Org]:
    """Two orgs whose members interleave by id, in every state."""
    org = make_org(db)
    other = make_org(db, name="Other", domains=("example.com",))
    for n in range(23):
        mine = make_member(db, org, f"m{n}@example.com")
        make_member(db, other, f"o{n}@example.com")
        if n % 3 == 0:
            members.update(db, org, mine, MemberInput(active=False), IDP)
        if n % 4 == 1:
            members.update(db, org, mine, MemberInput(active=False), IDP)
            members.update(db, org, mine, MemberInput(active=True), IDP)
        if n % 5 == 2:
            members.deprovision(db, org, mine, IDP)
        if n % 7 == 3:
            members.mark_signed_in(db, org, mine)
    return org, other


def _expected_ids(db: Session, org: Org) -> list[int]:
    return list(
        db.scalars(
            select(Member.id)
            .where(Member.org_id == org.id, Member.state.in_(list(LISTED_STATES)))
            .order_by(Member.id)
        )
    )


def test_every_page_matches_the_org_members_in_id_order(db: Session) -> None:
    org, _other = _seed(db)
    expected = _expected_ids(db, org)
    assert len({m.state for m in db.scalars(select(Member))}) == 5

    for count in (1, 4, 7, 100):
        for start in range(1, len(expected) + 3):
            total, page = queries.search_members(
                db, org.id, Search(paging=Paging(start, count)), LISTED_STATES
            )
            assert total == len(expected)
            assert [m.id for m in page] == expected[start - 1 : start - 1 + count]
            assert all(m.org_id == org.id for m in page)


def test_zero_count_returns_total_without_rows(db: Session) -> None:
    org, _other = _seed(db)
    total, page = queries.search_members(
        db, org.id, Search(paging=Paging(1, 0)), LISTED_STATES
    )
    assert total == len(_expected_ids(db, org)) and list(page) == []


def test_filtered_and_sorted_pages_stay_in_the_org(db: Session) -> None:
    org, other = _seed(db)
    lookup = Search(filter=Comparison("userName", "eq", "M4@EXAMPLE.COM"))
    total, page = queries.search_members(db, org.id, lookup, LISTED_STATES)
    assert total == 1 and page[0].email == "m4@example.com"
    assert queries.search_members(db, other.id, lookup, LISTED_STATES)[0] == 0

    by_name = Search(sort=Sort("userName", descending=True), paging=Paging(2, 3))
    total, page = queries.search_members(db, org.id, by_name, LISTED_STATES)
    emails = sorted(
        (
            m.email
            for m in db.scalars(select(Member).where(Member.org_id == org.id))
            if m.state in LISTED_STATES
        ),
        reverse=True,
    )
    assert [m.email for m in page] == emails[1:4]
    assert total == len(emails)
