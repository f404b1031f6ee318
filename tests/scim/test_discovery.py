"""ServiceProviderConfig, ResourceTypes and Schemas tell the truth."""

from fastapi import FastAPI

from tests.scim.conftest import (
    LIST_SCHEMA,
    SCIM_JSON,
    USER_SCHEMA,
    SCIMClient,
    assert_scim_error,
)


def test_service_provider_config_states_what_is_supported(
    scim: SCIMClient, app: FastAPI
) -> None:
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SCIM_JSON)
    config = response.json()
    assert config["schemas"] == [
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    ]
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["changePassword"] == {"supported": False}
    assert config["sort"] == {"supported": True}
    assert config["etag"] == {"supported": True}
    assert config["filter"] == {
        "supported": True,
        "maxResults": app.state.settings.scim_max_page_size,
    }
    schemes = config["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken"]
    assert config["meta"]["location"].endswith(f"{scim.base}/ServiceProviderConfig")


def test_resource_types_list_only_user(scim: SCIMClient) -> None:
    listed = scim.get("/ResourceTypes").json()
    assert listed["schemas"] == [LIST_SCHEMA]
    assert listed["totalResults"] == 1
    user = listed["Resources"][0]
    assert user["id"] == "User"
    assert user["endpoint"] == "/Users"
    assert user["schema"] == USER_SCHEMA
    assert scim.get("/ResourceTypes/User").json() == user
    assert_scim_error(scim.get("/ResourceTypes/Group"), 404)


def test_user_schema_lists_supported_attributes_with_their_rules(
    scim: SCIMClient,
) -> None:
    listed = scim.get("/Schemas").json()
    assert listed["totalResults"] == 1
    schema = listed["Resources"][0]
    assert schema["id"] == USER_SCHEMA
    assert scim.get(f"/Schemas/{USER_SCHEMA}").json() == schema

    attributes = {a["name"]: a for a in schema["attributes"]}
    assert set(attributes) == {
        "userName",
        "name",
        "displayName",
        "active",
        "emails",
        "userType",
        "externalId",
    }
    user_name = attributes["userName"]
    assert user_name["uniqueness"] == "server"
    assert user_name["caseExact"] is False
    assert user_name["required"] is True
    assert user_name["mutability"] == "immutable"
    assert attributes["userType"]["mutability"] == "readOnly"
    assert attributes["externalId"]["caseExact"] is True
    assert attributes["active"]["type"] == "boolean"
    names = {a["name"] for a in attributes["name"]["subAttributes"]}
    assert names == {"givenName", "familyName", "formatted"}
    for attribute in schema["attributes"]:
        assert attribute["returned"] in ("always", "default", "never", "request")


def test_unknown_schema_is_404(scim: SCIMClient) -> None:
    missing = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
    assert_scim_error(missing, 404)


def test_advertised_filter_attributes_work(scim: SCIMClient) -> None:
    """Every attribute the schema lists can be filtered on without an error."""
    scim.create("ada@example.com", externalId="x1", displayName="Ada")
    schema = scim.get(f"/Schemas/{USER_SCHEMA}").json()
    for attribute in schema["attributes"]:
        name = attribute["name"]
        if attribute["type"] == "complex":
            name += "." + attribute["subAttributes"][0]["name"]
        response = scim.get("/Users", params={"filter": f"{name} pr"})
        assert response.status_code == 200, (name, response.text)
