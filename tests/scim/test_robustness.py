"""Whatever a client sends, the answer is SCIM JSON and never a 500."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scim.conftest import SCIM_JSON, USER_SCHEMA, SCIMClient, user_body

KEYS = st.sampled_from(
    [
        "schemas",
        "userName",
        "UserName",
        "name",
        "emails",
        "active",
        "Active",
        "displayName",
        "externalId",
        "id",
        "meta",
        "password",
        "userType",
        "givenName",
        "value",
        "primary",
        "Operations",
        "op",
        "path",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["ada@example.com", "ADA@example.com", "true", USER_SCHEMA]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=12,
)
SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _assert_clean(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(SCIM_JSON)
        assert response.json()["status"] == str(response.status_code)


@SLOW
@given(body=JSON)
def test_any_json_posted_as_a_user_gets_a_clean_answer(
    scim: SCIMClient, body: Any
) -> None:
    _assert_clean(scim.post("/Users", body))


@SLOW
@given(changes=st.dictionaries(KEYS, JSON, max_size=4))
def test_any_user_fields_in_put_or_patch_get_a_clean_answer(
    scim: SCIMClient, changes: dict[str, Any]
) -> None:
    existing = scim.get("/Users", params={"filter": 'userName eq "ada@example.com"'})
    found = existing.json()["Resources"]
    user_id = found[0]["id"] if found else scim.create("ada@example.com")["id"]

    _assert_clean(
        scim.put(f"/Users/{user_id}", user_body("ada@example.com", **changes))
    )
    operation = {"op": "replace", "value": changes}
    _assert_clean(scim.patch(f"/Users/{user_id}", {"Operations": [operation]}))


@SLOW
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes"]
        ),
        st.text(max_size=30),
        max_size=4,
    )
)
def test_any_list_parameters_get_a_clean_answer(
    scim: SCIMClient, params: dict[str, str]
) -> None:
    _assert_clean(scim.get("/Users", params=params))
