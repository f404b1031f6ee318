"""The SCIM PATCH engine: PatchOp bodies applied to a member's SCIM User JSON."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import UNSET, MemberInput
from rollcall.errors import DomainError, InvalidFilterError, MutabilityError
from rollcall.scim.errors import (
    InvalidPathError,
    InvalidSyntaxError,
    InvalidValueError,
    NoTargetError,
    SCIMError,
    TooManyError,
)
from rollcall.scim.patch import apply_patch
from rollcall.storage.models import MemberState
from tests.factories import make_member, make_org

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
IDP = Actor("idp", "test-token")


def user(email: str = "user1@example.com") -> dict[str, Any]:
    """The member as the SCIM layer renders it."""
    return {
        "schemas": [CORE],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": email,
        "name": {"givenName": "User", "familyName": "One", "formatted": "User One"},
        "displayName": "User One",
        "active": True,
        "externalId": "jc-5f1b",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "meta": {"resourceType": "User", "version": 'W/"3"'},
    }


def patch(
    *operations: dict[str, Any], current: dict[str, Any] | None = None
) -> MemberInput:
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return apply_patch(body, current or user(), max_operations=10)


def test_replace_active_with_path_sets_active() -> None:
    result = patch({"op": "replace", "path": "active", "value": False})

    assert result == MemberInput(active=False)


def test_entra_c15_capitalised_replace_with_string_false_deactivates() -> None:
    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }

    assert apply_patch(body, user(), max_operations=10) == MemberInput(active=False)


def test_entra_c15_string_true_reactivates() -> None:
    current = {**user(), "active": False}

    result = patch(
        {"op": "Replace", "path": "active", "value": "True"}, current=current
    )

    assert result.active is True


@pytest.mark.parametrize("text", ["true", "TRUE", " True ", "tRuE"])
def test_active_string_booleans_are_read_in_any_case(text: str) -> None:
    current = {**user(), "active": False}

    assert (
        patch(
            {"op": "replace", "path": "active", "value": text}, current=current
        ).active
        is True
    )


@pytest.mark.parametrize(
    "value", [0, 1, "yes", "", None, {"value": False}, [True, False]]
)
def test_active_that_is_not_a_boolean_is_invalid_value(value: object) -> None:
    with pytest.raises(InvalidValueError, match="active"):
        patch({"op": "replace", "path": "active", "value": value})


def test_okta_c11_no_path_replace_deactivates() -> None:
    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }

    assert apply_patch(body, user(), max_operations=10) == MemberInput(active=False)


def test_entra_c16_same_email_and_new_family_name_touch_only_those() -> None:
    body = {
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "user1@example.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "Two"},
        ]
    }

    result = apply_patch(body, user(), max_operations=10)

    assert result == MemberInput(email="user1@example.com", family_name="Two")


def test_entra_c16_different_email_is_carried_for_the_domain_to_refuse() -> None:
    body = {
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "someone.else@example.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "Two"},
        ]
    }

    result = apply_patch(body, user(), max_operations=10)

    assert result.email == "someone.else@example.com"
    assert result.family_name == "Two"


def test_entra_c16_changed_email_applies_nothing_when_the_domain_updates(
    db: Session,
) -> None:
    """The output fed to the domain: a mutability error and the name unchanged."""
    org = make_org(db)
    member = make_member(db, org, "user1@example.com", given="User", family="One")
    body = {
        "Operations": [
            {"op": "Replace", "path": "name.familyName", "value": "Two"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "someone.else@example.com",
            },
        ]
    }
    data = apply_patch(body, user(), max_operations=10)

    with pytest.raises(MutabilityError):
        members.update(db, org, member, data, IDP)

    assert member.family_name == "One"
    assert member.email == "user1@example.com"


def test_entra_c15_output_deactivates_the_member_through_the_domain(
    db: Session,
) -> None:
    org = make_org(db)
    member = make_member(db, org, "user1@example.com")
    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }

    members.update(db, org, member, apply_patch(body, user(), max_operations=10), IDP)

    assert member.state == MemberState.DEACTIVATED


def test_entra_c17_no_path_dotted_keys_apply_and_enterprise_keys_are_ignored() -> None:
    body = {
        "Operations": [
            {
                "op": "replace",
                "value": {
                    "name.givenName": "New",
                    "displayName": "New Two",
                    f"{ENTERPRISE}:employeeNumber": "42",
                },
            }
        ]
    }

    result = apply_patch(body, user(), max_operations=10)

    assert result == MemberInput(given_name="New", display_name="New Two")


def test_no_path_value_object_sent_as_one_element_list_is_unwrapped() -> None:
    assert patch({"op": "replace", "value": [{"active": "false"}]}) == MemberInput(
        active=False
    )


def test_operation_member_names_are_matched_in_any_case() -> None:
    result = patch({"Op": "Replace", "Path": "displayName", "Value": "D"})

    assert result == MemberInput(display_name="D")


def test_no_path_value_object_with_full_urn_keys_applies_them() -> None:
    result = patch(
        {
            "op": "replace",
            "value": {
                f"{CORE}:name.familyName": "Two",
                f"{CORE}:externalId": "ext-9",
                f"{CORE.upper()}:displayName": "Shouty",
            },
        }
    )

    assert result == MemberInput(
        family_name="Two", external_id="ext-9", display_name="Shouty"
    )


def test_no_path_value_object_under_the_core_urn_key_applies_its_attributes() -> None:
    result = patch({"op": "add", "value": {CORE: {"displayName": "Nested"}}})

    assert result == MemberInput(display_name="Nested")


def test_no_path_value_object_with_name_object_merges_sub_attributes() -> None:
    result = patch({"op": "replace", "value": {"name": {"familyName": "Two"}}})

    assert result == MemberInput(family_name="Two")


def test_enterprise_extension_object_in_value_is_ignored() -> None:
    result = patch(
        {
            "op": "add",
            "value": {ENTERPRISE: {"department": "Sales"}, "displayName": "D"},
        }
    )

    assert result == MemberInput(display_name="D")


@pytest.mark.parametrize("op", ["add", "Add", "ADD", "replace", "Replace", "REPLACE"])
def test_ops_are_matched_in_any_case(op: str) -> None:
    assert patch({"op": op, "path": "displayName", "value": "X"}).display_name == "X"


def test_paths_are_case_insensitive() -> None:
    result = patch(
        {"op": "replace", "path": "NAME.GIVENNAME", "value": "G"},
        {"op": "replace", "path": "DisplayName", "value": "D"},
        {"op": "replace", "path": "Active", "value": False},
    )

    assert result == MemberInput(given_name="G", display_name="D", active=False)


def test_full_urn_path_names_a_core_attribute() -> None:
    result = patch({"op": "replace", "path": f"{CORE}:name.givenName", "value": "G"})

    assert result == MemberInput(given_name="G")


def test_scim_1_1_core_urn_path_names_a_core_attribute() -> None:
    result = patch(
        {"op": "replace", "path": "urn:scim:schemas:core:1.0:displayName", "value": "D"}
    )

    assert result == MemberInput(display_name="D")


def test_enterprise_urn_path_is_accepted_and_ignored() -> None:
    result = patch({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "S"})

    assert result == MemberInput()


def test_unknown_schema_urn_path_is_invalid_path() -> None:
    with pytest.raises(InvalidPathError, match="schema"):
        patch({"op": "replace", "path": "urn:example:custom:2.0:User:x", "value": 1})


def test_name_sub_attribute_replace_and_add_set_it() -> None:
    result = patch(
        {"op": "replace", "path": "name.familyName", "value": "Two"},
        {"op": "add", "path": "name.formatted", "value": "Dr User Two"},
    )

    assert result == MemberInput(family_name="Two", formatted_name="Dr User Two")


def test_remove_given_name_clears_it() -> None:
    assert patch({"op": "remove", "path": "name.givenName"}) == MemberInput(
        given_name=None
    )


def test_remove_name_clears_every_name_part() -> None:
    result = patch({"op": "remove", "path": "name"})

    assert result == MemberInput(given_name=None, family_name=None, formatted_name=None)


def test_replace_name_object_leaves_unmentioned_parts_unchanged() -> None:
    result = patch(
        {
            "op": "replace",
            "path": "name",
            "value": {"GivenName": "G", "middleName": "M"},
        }
    )

    assert result == MemberInput(given_name="G")


def test_remove_display_name_and_external_id_clears_them() -> None:
    result = patch(
        {"op": "remove", "path": "displayName"},
        {"op": "remove", "path": "externalId"},
    )

    assert result == MemberInput(display_name=None, external_id=None)


def test_single_value_sent_as_one_element_list_is_unwrapped() -> None:
    result = patch(
        {"op": "replace", "path": "name.givenName", "value": ["New"]},
        {"op": "replace", "path": "active", "value": ["false"]},
    )

    assert result == MemberInput(given_name="New", active=False)


def test_several_values_for_a_single_valued_attribute_are_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="displayName"):
        patch({"op": "replace", "path": "displayName", "value": ["A", "B"]})


@pytest.mark.parametrize("value", [42, True, {"a": 1}])
def test_a_name_that_is_not_a_string_is_invalid_value(value: object) -> None:
    with pytest.raises(InvalidValueError):
        patch({"op": "replace", "path": "name.givenName", "value": value})


def test_operations_apply_in_order_so_the_last_write_wins() -> None:
    result = patch(
        {"op": "replace", "path": "displayName", "value": "First"},
        {"op": "remove", "path": "displayName"},
        {"op": "add", "path": "displayName", "value": "Last"},
    )

    assert result.display_name == "Last"


def test_untouched_attributes_stay_unset() -> None:
    result = patch({"op": "replace", "path": "externalId", "value": "e2"})

    assert result.user_name is UNSET
    assert result.email is UNSET
    assert result.given_name is UNSET
    assert result.active is UNSET


def test_the_current_member_is_not_changed() -> None:
    current = user()
    before = json.dumps(current, sort_keys=True)

    patch(
        {"op": "replace", "path": "name.givenName", "value": "X"},
        {"op": "add", "path": "emails", "value": [{"value": "b@example.com"}]},
        current=current,
    )

    assert json.dumps(current, sort_keys=True) == before


def test_replace_user_name_with_same_value_in_other_case_is_carried() -> None:
    result = patch({"op": "replace", "path": "userName", "value": "USER1@example.com"})

    assert result == MemberInput(user_name="USER1@example.com")


def test_remove_user_name_is_mutability() -> None:
    with pytest.raises(MutabilityError, match="userName"):
        patch({"op": "remove", "path": "userName"})


def test_remove_emails_is_mutability() -> None:
    with pytest.raises(MutabilityError, match="email"):
        patch({"op": "remove", "path": "emails"})


def test_remove_the_primary_email_through_a_value_path_is_mutability() -> None:
    with pytest.raises(MutabilityError):
        patch({"op": "remove", "path": 'emails[type eq "work"]'})


def test_remove_through_a_value_path_that_matches_nothing_is_no_target() -> None:
    with pytest.raises(NoTargetError):
        patch({"op": "remove", "path": 'emails[type eq "home"].value'})


def test_remove_without_path_is_no_target() -> None:
    with pytest.raises(NoTargetError):
        patch({"op": "remove", "value": {"displayName": "x"}})


def test_email_value_path_by_primary_replaces_the_primary_email() -> None:
    result = patch(
        {
            "op": "replace",
            "path": "emails[primary eq true].value",
            "value": "n@example.com",
        }
    )

    assert result.email == "n@example.com"


def test_email_value_path_with_and_or_filters_matches() -> None:
    result = patch(
        {
            "op": "replace",
            "path": (
                'emails[(type eq "home" or type eq "WORK") and primary eq true].value'
            ),
            "value": "n@example.com",
        }
    )

    assert result.email == "n@example.com"


def test_email_value_path_matching_nothing_on_replace_adds_a_secondary_email() -> None:
    """The added home email is not primary: the primary one stays."""
    result = patch(
        {
            "op": "replace",
            "path": 'emails[type eq "home"].value',
            "value": "h@example.com",
        }
    )

    assert result.email == "user1@example.com"


def test_email_value_path_matching_nothing_when_no_email_adds_the_primary() -> None:
    current = {**user(), "emails": []}

    result = patch(
        {"op": "add", "path": 'emails[type eq "work"].value', "value": "w@example.com"},
        current=current,
    )

    assert result.email == "w@example.com"


def test_replace_emails_with_new_primary_carries_it() -> None:
    result = patch(
        {
            "op": "replace",
            "path": "emails",
            "value": [{"Value": "new@example.com", "Type": "work", "Primary": "true"}],
        }
    )

    assert result.email == "new@example.com"


@pytest.mark.parametrize("value", [None, []])
def test_replace_emails_with_null_or_empty_list_changes_nothing(value: object) -> None:
    result = patch({"op": "replace", "path": "emails", "value": value})

    assert result == MemberInput()


def test_add_a_primary_email_makes_it_the_primary() -> None:
    result = patch(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "b@example.com", "primary": True}],
        }
    )

    assert result.email == "b@example.com"


def test_add_a_secondary_email_keeps_the_primary() -> None:
    result = patch(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "b@example.com", "type": "home"}],
        }
    )

    assert result.email == "user1@example.com"


def test_two_primary_emails_in_one_value_are_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="primary"):
        patch(
            {
                "op": "replace",
                "path": "emails",
                "value": [
                    {"value": "a@example.com", "primary": True},
                    {"value": "b@example.com", "primary": True},
                ],
            }
        )


@pytest.mark.parametrize("value", ["a@example.com", [1], [{"value": 5}]])
def test_malformed_emails_are_invalid_value(value: object) -> None:
    with pytest.raises(InvalidValueError):
        patch({"op": "replace", "path": "emails", "value": value})


def test_email_without_a_value_is_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="email"):
        patch({"op": "replace", "path": "emails", "value": [{"type": "work"}]})


@pytest.mark.parametrize(
    "path",
    [
        'emails[type eq "work"',
        "emails[type eq]",
        'emails[type zz "work"]',
        "emails[type eq work]",
        'emails[(type eq "work"]',
        "emails[]",
        'emails[nickname eq "x"].value',
    ],
)
def test_malformed_value_path_filters_are_invalid_filter(path: str) -> None:
    with pytest.raises((InvalidFilterError, InvalidPathError)):
        patch({"op": "replace", "path": path, "value": "x@example.com"})


def test_deeply_nested_filter_is_refused_not_crashing() -> None:
    path = "emails[" + "(" * 500 + 'type eq "work"' + ")" * 500 + "].value"

    with pytest.raises(InvalidFilterError, match="deep"):
        patch({"op": "replace", "path": path, "value": "x@example.com"})


@pytest.mark.parametrize("path", ["", "   ", None])
def test_blank_or_null_path_means_the_resource_itself(path: object) -> None:
    result = patch({"op": "replace", "path": path, "value": {"displayName": "D"}})

    assert result == MemberInput(display_name="D")


@pytest.mark.parametrize(
    "path",
    [
        "name..givenName",
        "9lives",
        "displayName.first",
        'userName[value eq "x"]',
        "a b",
        'name[givenName eq "x"]',
    ],
)
def test_malformed_paths_are_invalid_path(path: str) -> None:
    with pytest.raises(InvalidPathError):
        patch({"op": "replace", "path": path, "value": "x"})


def test_path_that_is_not_a_string_is_invalid_path() -> None:
    with pytest.raises(InvalidPathError):
        patch({"op": "replace", "path": 7, "value": "x"})


@pytest.mark.parametrize(
    "attribute",
    [
        "title",
        "phoneNumbers",
        'addresses[type eq "work"].streetAddress',
        "id",
        "meta",
        "groups",
        "userType",
        "password",
        "locale",
        "name.middleName",
        f"{ENTERPRISE}:department",
        f"{ENTERPRISE}:employeeNumber",
    ],
)
def test_unstored_and_read_only_attributes_are_accepted_and_ignored(
    attribute: str,
) -> None:
    with_path = patch({"op": "replace", "path": attribute, "value": "x"})
    without_path = patch({"op": "add", "value": {attribute: "x"}})

    assert with_path == MemberInput()
    assert without_path == MemberInput()


def test_okta_style_full_user_as_value_object_applies_only_writable_attributes() -> (
    None
):
    value = {
        **user(),
        "active": False,
        "password": "hunter2",
        "groups": [],
        "phoneNumbers": [{"value": "tel:+1-555-555-0100"}],
    }

    result = patch({"op": "replace", "value": value})

    assert result == MemberInput(
        user_name="user1@example.com",
        email="user1@example.com",
        given_name="User",
        family_name="One",
        formatted_name="User One",
        display_name="User One",
        external_id="jc-5f1b",
        active=False,
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        None,
        {"schemas": [PATCH_OP]},
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": {"op": "add"}},
        {"schemas": [CORE], "Operations": [{"op": "add", "value": {}}]},
        {"schemas": PATCH_OP, "Operations": [{"op": "add", "value": {}}]},
        {"schemas": [PATCH_OP], "Operations": ["add"]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "merge", "path": "active"}]},
        {"schemas": [PATCH_OP], "Operations": [{"path": "active", "value": True}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": 3, "path": "active"}]},
        {"schemas": [PATCH_OP], "operations": [], "Operations": [{"op": "add"}]},
    ],
)
def test_malformed_bodies_are_invalid_syntax(body: object) -> None:
    with pytest.raises(InvalidSyntaxError):
        apply_patch(body, user(), max_operations=10)


def test_operations_key_is_matched_in_any_case() -> None:
    body = {
        "schemas": [PATCH_OP],
        "operations": [{"op": "replace", "path": "active", "value": False}],
    }

    assert apply_patch(body, user(), max_operations=10) == MemberInput(active=False)


def test_more_operations_than_the_limit_is_too_many() -> None:
    operation = {"op": "replace", "path": "displayName", "value": "D"}
    body = {"schemas": [PATCH_OP], "Operations": [operation] * 4}

    assert apply_patch(body, user(), max_operations=4).display_name == "D"
    with pytest.raises(TooManyError, match="at most 3"):
        apply_patch(body, user(), max_operations=3)


def test_no_path_value_that_is_not_an_object_is_invalid_value() -> None:
    with pytest.raises(InvalidValueError):
        patch({"op": "replace", "value": "active=false"})


def test_error_detail_names_the_operation_that_failed() -> None:
    with pytest.raises(InvalidValueError, match=r"^operation 2: 'name\.givenName'"):
        patch(
            {"op": "replace", "path": "displayName", "value": "D"},
            {"op": "replace", "path": "name.givenName", "value": 7},
        )


def test_remove_active_says_it_must_be_set_instead() -> None:
    with pytest.raises(InvalidValueError, match="set it to true or false"):
        patch({"op": "remove", "path": "active"})


@pytest.mark.parametrize("text", ["a\x00b", "bad \ud800 surrogate"])
def test_text_no_database_can_store_is_invalid_value(text: str) -> None:
    with pytest.raises(InvalidValueError, match="Unicode"):
        patch({"op": "replace", "path": "displayName", "value": text})


def test_long_filter_chain_is_refused_not_crashing() -> None:
    chain = " or ".join(['type eq "work"'] * 5000)

    with pytest.raises(InvalidFilterError, match="comparisons"):
        patch({"op": "replace", "path": f"emails[{chain}].value", "value": "x"})


def test_replace_emails_without_primary_flags_keeps_the_members_own_email() -> None:
    result = patch(
        {
            "op": "replace",
            "path": "emails",
            "value": [{"value": "home@example.com"}, {"value": "USER1@example.com"}],
        }
    )

    assert result.email == "USER1@example.com"


def test_core_urn_key_nested_in_itself_is_invalid_path() -> None:
    with pytest.raises(InvalidPathError, match="nested"):
        patch({"op": "add", "value": {CORE: {CORE: {"displayName": "D"}}}})


def test_name_that_is_not_an_object_is_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="object"):
        patch({"op": "replace", "path": "name", "value": "User One"})


def test_unknown_email_sub_attribute_is_ignored() -> None:
    result = patch(
        {"op": "replace", "path": 'emails[type eq "work"].label', "value": 1}
    )

    assert result == MemberInput()


def test_replace_through_a_value_path_replaces_the_whole_email() -> None:
    result = patch(
        {
            "op": "replace",
            "path": "emails[primary eq true]",
            "value": {"value": "n@example.com", "type": "other"},
        }
    )

    assert result.email == "n@example.com"


def test_add_through_a_value_path_merges_into_the_matching_email() -> None:
    """The merged email keeps its primary flag, so it stays the primary one."""
    result = patch(
        {"op": "add", "path": "emails", "value": [{"value": "b@example.com"}]},
        {"op": "add", "path": 'emails[type eq "work"]', "value": {"display": "W"}},
    )

    assert result.email == "user1@example.com"


def test_remove_an_email_added_earlier_in_the_same_request_drops_it() -> None:
    result = patch(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "b@example.com", "primary": True}],
        },
        {"op": "remove", "path": 'emails[value eq "b@example.com"]'},
    )

    assert result.email == "user1@example.com"


def test_remove_an_email_sub_attribute_other_than_value_is_allowed() -> None:
    result = patch({"op": "remove", "path": 'emails[type eq "work"].display'})

    assert result.email == "user1@example.com"


def test_error_detail_shortens_a_huge_path() -> None:
    with pytest.raises(InvalidPathError) as caught:
        patch({"op": "replace", "path": "x y" * 10_000, "value": "v"})

    assert len(caught.value.detail) < 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
PATHS = st.sampled_from(
    [
        "active",
        "userName",
        "name",
        "name.givenName",
        "emails",
        "emails.value",
        'emails[type eq "work"].value',
        'emails[type eq "home"]',
        "emails[primary eq true].primary",
        "displayName",
        f"{CORE}:externalId",
        f"{ENTERPRISE}:department",
        "title",
        "",
    ]
) | st.text(max_size=30)
OPERATIONS = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "x"]), "value": JSON},
    optional={"path": PATHS},
)


def check_only_protocol_errors(body: object) -> None:
    try:
        result = apply_patch(body, user(), max_operations=5)
    except (SCIMError, DomainError):
        return
    assert isinstance(result, MemberInput)
    assert result.active is UNSET or isinstance(result.active, bool)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_random_json_bodies_give_a_member_input_or_a_protocol_error(
    body: object,
) -> None:
    check_only_protocol_errors(body)
    check_only_protocol_errors({"schemas": [PATCH_OP], "Operations": body})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATIONS, min_size=1, max_size=6))
def test_random_operations_give_a_member_input_or_a_protocol_error(
    operations: list[dict[str, Any]],
) -> None:
    check_only_protocol_errors({"schemas": [PATCH_OP], "Operations": operations})
