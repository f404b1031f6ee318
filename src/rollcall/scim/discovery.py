"""What the service provider supports, as SCIM clients ask it (RFC 7643 §5-7).

These documents describe exactly what Rollcall does: the User attributes it
stores, PATCH and filters yes, bulk and password change no, no groups. IdPs
read them to decide what to send, so an attribute listed here must work.
"""

from typing import Any

from rollcall.config import Settings
from rollcall.scim.errors import NotFoundSCIMError
from rollcall.scim.resources import USER_SCHEMA, JSONObject, list_response

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
DOCS_URL = "https://datatracker.ietf.org/doc/html/rfc7644"


def service_provider_config(base_url: str, settings: Settings) -> JSONObject:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": DOCS_URL,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.scim_max_page_size},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": (
                    "A SCIM token of the organisation, created in Manage Team, sent "
                    "as Authorization: Bearer <token>"
                ),
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }


def user_resource_type(base_url: str) -> JSONObject:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A member of the organisation",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
        "meta": {
            "resourceType": "ResourceType",
            "location": f"{base_url}/ResourceTypes/User",
        },
    }


def resource_types(base_url: str) -> JSONObject:
    return list_response([user_resource_type(base_url)], 1, 1)


def resource_type(base_url: str, name: str) -> JSONObject:
    if name.lower() != "user":
        raise NotFoundSCIMError(f"no resource type {name!r}; only User is supported")
    return user_resource_type(base_url)


def user_schema(base_url: str) -> JSONObject:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A member of the organisation; the email is the identity",
        "attributes": USER_ATTRIBUTES,
        "meta": {
            "resourceType": "Schema",
            "location": f"{base_url}/Schemas/{USER_SCHEMA}",
        },
    }


def schemas(base_url: str) -> JSONObject:
    return list_response([user_schema(base_url)], 1, 1)


def schema(base_url: str, schema_id: str) -> JSONObject:
    if schema_id.lower() != USER_SCHEMA.lower():
        raise NotFoundSCIMError(f"no schema {schema_id!r}; only {USER_SCHEMA}")
    return user_schema(base_url)


def _attribute(
    name: str,
    description: str,
    *,
    type_: str = "string",
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    required: bool = False,
    case_exact: bool = False,
    multi_valued: bool = False,
    sub_attributes: list[JSONObject] | None = None,
) -> JSONObject:
    attribute: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi_valued,
        "description": description,
        "required": required,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if type_ in ("string", "reference"):
        attribute["caseExact"] = case_exact
    if sub_attributes is not None:
        attribute["subAttributes"] = sub_attributes
    return attribute


USER_ATTRIBUTES: list[JSONObject] = [
    _attribute(
        "userName",
        "The member's email address; it must equal the primary email, be on one "
        "of the org's SSO domains, and cannot change",
        mutability="immutable",
        required=True,
        uniqueness="server",
    ),
    _attribute(
        "name",
        "The member's name",
        type_="complex",
        sub_attributes=[
            _attribute("givenName", "Given name"),
            _attribute("familyName", "Family name"),
            _attribute(
                "formatted", "Full name; derived from the given and family names"
            ),
        ],
    ),
    _attribute("displayName", "Name shown in the team list"),
    _attribute(
        "active",
        "false deactivates the member: no sign-in, not in the team list",
        type_="boolean",
    ),
    _attribute(
        "emails",
        "The member's email; only the primary one is stored and it cannot change",
        type_="complex",
        multi_valued=True,
        sub_attributes=[
            _attribute("value", "The email address", mutability="immutable"),
            _attribute("type", "Always work", mutability="readOnly"),
            _attribute("primary", "Always true", type_="boolean"),
        ],
    ),
    _attribute(
        "userType",
        "The member's role (owner, admin or member); set in the dashboard only",
        mutability="readOnly",
    ),
    _attribute(
        "externalId",
        "The identity provider's own id for the user",
        case_exact=True,
    ),
]
