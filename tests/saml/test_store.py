"""AuthnRequests answered once and the replay cache, each scoped to its org."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from rollcall.domain import sso
from rollcall.domain.members import SignInRefusedError
from rollcall.storage import sso as store
from rollcall.storage.models import Org, SamlRequest, SeenAssertion, utcnow
from tests.factories import make_org
from tests.saml.conftest import Work


@pytest.fixture
def two_orgs(work: Work) -> tuple[Org, Org]:
    with work() as db:
        return make_org(db, name="One"), make_org(db, name="Two")


def test_request_is_answered_once_with_its_relay_state(
    work: Work, two_orgs: tuple[Org, Org]
) -> None:
    one, _ = two_orgs
    with work() as db:
        sso.remember_request(db, one, "_req1", "/back")

    with work() as db:
        assert sso.answer_request(db, one, "_req1") == "/back"
    with work() as db, pytest.raises(SignInRefusedError) as refused:
        sso.answer_request(db, one, "_req1")
    assert refused.value.reason == "unknown_request"


def test_request_of_another_org_cannot_be_answered(
    work: Work, two_orgs: tuple[Org, Org]
) -> None:
    one, two = two_orgs
    with work() as db:
        sso.remember_request(db, one, "_req1", None)

    with work() as db, pytest.raises(SignInRefusedError):
        sso.answer_request(db, two, "_req1")
    with work() as db:
        assert sso.answer_request(db, one, "_req1") is None


def test_expired_request_cannot_be_answered(
    work: Work, two_orgs: tuple[Org, Org]
) -> None:
    one, _ = two_orgs
    with work() as db:
        store.add_request(db, one.id, "_old", None, utcnow() - timedelta(seconds=1))

    with work() as db, pytest.raises(SignInRefusedError):
        sso.answer_request(db, one, "_old")


def test_assertion_id_is_a_replay_only_within_its_org(
    work: Work, two_orgs: tuple[Org, Org]
) -> None:
    one, two = two_orgs
    later = utcnow() + timedelta(minutes=5)
    with work() as db:
        sso.use_assertion_once(db, one, "_a1", later)
        sso.use_assertion_once(db, two, "_a1", later)

    with work() as db, pytest.raises(SignInRefusedError) as refused:
        sso.use_assertion_once(db, one, "_a1", later)
    assert refused.value.reason == "replay"


def test_expired_rows_are_forgotten_only_in_their_own_org(
    work: Work, two_orgs: tuple[Org, Org]
) -> None:
    one, two = two_orgs
    past = utcnow() - timedelta(minutes=1)
    with work() as db:
        for org in (one, two):
            store.add_request(db, org.id, f"_r{org.id}", None, past)
            store.add_seen_assertion(db, org.id, f"_a{org.id}", past)

    with work() as db:
        store.delete_expired(db, one.id, utcnow())

    with work() as db:
        assert list(db.scalars(select(SamlRequest.org_id))) == [two.id]
        assert list(db.scalars(select(SeenAssertion.org_id))) == [two.id]
