"""An import walk continues each page from where the previous one ended, and
never returns a wrong page when the org's members change during the walk."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import LISTED_STATES, MemberInput
from rollcall.search import Paging, Search
from rollcall.storage import paging, queries
from rollcall.storage.models import Member, Org
from tests.factories import make_member, make_org

IDP = Actor("idp", "test")


def _listed(db: Session, org: Org) -> list[int]:
    return list(
        db.scalars(
            select(Member.id)
            .where(Member.org_id == org.id, Member.state.in_(list(LISTED_STATES)))
            .order_by(Member.id)
        )
    )


def _page(db: Session, org: Org, start: int, count: int) -> tuple[int, list[int]]:
    search = Search(paging=Paging(start_index=start, count=count))
    total, page = queries.search_members(db, org.id, search, LISTED_STATES)
    return total, [m.id for m in page]


def test_a_page_remembers_where_the_next_one_starts(db: Session) -> None:
    org = make_org(db)
    for n in range(5):
        make_member(db, org, f"m{n}@example.com")
    _total, first = _page(db, org, 1, 2)

    sig = paging.signature(db, org.id, LISTED_STATES)
    assert paging.remembered_position(org.id, LISTED_STATES, sig, 3) == first[-1]
    assert paging.remembered_total(org.id, LISTED_STATES, sig) == 5


def test_walk_with_remembered_positions_reads_every_member_once(db: Session) -> None:
    org = make_org(db)
    other = make_org(db, name="Other")
    for n in range(11):
        make_member(db, org, f"m{n}@example.com")
        make_member(db, other, f"o{n}@example.com")
    members.deprovision(
        db, org, queries.get_member_by_email(db, org.id, "m4@example.com"), IDP
    )  # type: ignore[arg-type]

    seen: list[int] = []
    for start in range(1, 11, 3):
        total, ids = _page(db, org, start, 3)
        assert total == 10
        seen += ids
    assert seen == _listed(db, org)


def test_changes_during_a_walk_never_serve_a_stale_position(db: Session) -> None:
    org = make_org(db)
    for n in range(8):
        make_member(db, org, f"m{n}@example.com")
    _page(db, org, 1, 3)

    gone = queries.get_member_by_email(db, org.id, "m1@example.com")
    assert gone is not None
    members.deprovision(db, org, gone, IDP)
    total, ids = _page(db, org, 4, 3)
    assert total == 7
    assert ids == _listed(db, org)[3:6]

    make_member(db, org, "new@example.com")
    members.provision(db, org, MemberInput(user_name="m1@example.com"), IDP)
    total, ids = _page(db, org, 7, 3)
    assert total == 9
    assert ids == _listed(db, org)[6:9]
