"""A refused SCIM request names everything the org lacks, not just the first."""

from tests.factories import make_org, make_token
from tests.scim.conftest import SCIMClient, Store, assert_scim_error, user_body


def _client(scim: SCIMClient, store: Store, **org: bool) -> SCIMClient:
    with store() as db:
        other = make_org(db, name="Lapsed", **org)
        token = make_token(db, other)
    return SCIMClient(scim.http, other, token)


def test_write_to_an_org_without_provisioning_and_subscription_names_both(
    scim: SCIMClient, store: Store
) -> None:
    client = _client(scim, store, provisioning=False, subscription=False)

    detail = assert_scim_error(client.post("/Users", user_body("a@example.com")), 403)

    assert "provisioning is not enabled" in detail
    assert "subscription is not active" in detail


def test_read_from_an_org_lacking_everything_names_all_of_it(
    scim: SCIMClient, store: Store
) -> None:
    client = _client(scim, store, provisioning=False, subscription=False, sso=False)

    detail = assert_scim_error(client.get("/Users"), 403)

    assert "provisioning is not enabled" in detail
    assert "subscription is not active" in detail
    assert "single sign-on is not configured" in detail


def test_write_after_the_subscription_lapsed_names_only_that(
    scim: SCIMClient, store: Store
) -> None:
    client = _client(scim, store, subscription=False)

    detail = assert_scim_error(client.post("/Users", user_body("a@example.com")), 403)

    assert "subscription is not active" in detail
    assert "provisioning is not enabled" not in detail
    assert client.get("/Users").status_code == 200
