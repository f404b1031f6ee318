"""Domain Access & SSO over HTTP: domains, IdP metadata, SP values, SCIM tokens."""

import httpx

from rollcall.domain import orgs
from rollcall.saml.keys import KeyPair
from rollcall.storage import queries
from rollcall.storage.models import Org
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import csrf_of, load_org, sign_in
from tests.factories import make_org
from tests.saml.idp import REDIRECT, metadata_xml


def _signed_in(http: httpx.Client, work: Work, **kwargs: bool) -> tuple[Org, str]:
    with work() as db:
        org = make_org(db, **kwargs)  # type: ignore[arg-type]
    page = sign_in(http, work, org, "owner@example.com")
    return org, csrf_of(page.text)


def test_sso_page_shows_sp_values_and_scim_endpoint(
    http: httpx.Client, work: Work
) -> None:
    org, _csrf = _signed_in(http, work)
    page = http.get(f"/orgs/{org.public_id}/sso").text
    base = f"{http.base_url}".rstrip("/")
    public = "http://127.0.0.1"  # the test settings' public URL

    assert f'value="{public}/sso/{org.public_id}/metadata"' in page
    assert f'value="{public}/sso/{org.public_id}/acs"' in page
    assert f'value="{public}/sso/{org.public_id}/login"' in page
    assert f'value="{public}/scim/v2/{org.public_id}"' in page
    assert "Show SCIMv2 Details" in page and "<details" in page
    assert "not enabled" not in page
    assert base.startswith("http://127.0.0.1:")


def test_sso_page_says_how_to_get_provisioning(http: httpx.Client, work: Work) -> None:
    org, _csrf = _signed_in(http, work, sso=False, provisioning=False)
    page = http.get(f"/orgs/{org.public_id}/sso").text
    assert "Provisioning is not enabled" in page
    assert "SAML single sign-on configured" in page
    assert "Ask the vendor's support" in page


def test_add_and_remove_domain(http: httpx.Client, work: Work) -> None:
    org, csrf = _signed_in(http, work)
    url = f"/orgs/{org.public_id}/sso/domains"

    added = http.post(
        url, data={"csrf_token": csrf, "domain": " Example.ORG "}, follow_redirects=True
    )
    assert "The domain was added." in added.text
    assert load_org(work, org).domain_names == ["example.com", "example.org"]

    removed = http.post(
        url + "/remove",
        data={"csrf_token": csrf, "domain": "example.com"},
        follow_redirects=True,
    )
    assert "The domain was removed." in removed.text
    assert load_org(work, org).domain_names == ["example.org"]
    with work() as db:
        actions = [e.action for e in queries.list_audit(db, org.id, limit=2)]
    assert actions == ["org.domain_removed", "org.domain_added"]


def test_bad_domain_is_explained_beside_the_field(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work)
    answer = http.post(
        f"/orgs/{org.public_id}/sso/domains",
        data={"csrf_token": csrf, "domain": "not a domain"},
    )
    assert answer.status_code == 400
    assert 'id="domain-error"' in answer.text
    assert "is not a domain name such as example.com" in answer.text
    assert 'value="not a domain"' in answer.text
    assert load_org(work, org).domain_names == ["example.com"]


def test_lapsed_subscription_refuses_sso_changes(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work, subscription=False)
    answer = http.post(
        f"/orgs/{org.public_id}/sso/domains",
        data={"csrf_token": csrf, "domain": "example.org"},
    )
    assert answer.status_code == 403
    assert "subscription is not active" in answer.text
    assert load_org(work, org).domain_names == ["example.com"]


def test_pasted_metadata_configures_sso(
    http: httpx.Client, work: Work, idp_key: KeyPair
) -> None:
    org, csrf = _signed_in(http, work, sso=False, provisioning=False)
    xml = metadata_xml(
        "https://idp.new.test/entity",
        [(REDIRECT, "https://idp.new.test/sso")],
        [idp_key.cert_base64],
    )
    answer = http.post(
        f"/orgs/{org.public_id}/sso/metadata",
        data={"csrf_token": csrf, "metadata_xml": xml},
        follow_redirects=True,
    )
    assert "metadata was saved" in answer.text
    assert "https://idp.new.test/sso" in answer.text
    saml = load_org(work, org).saml
    assert saml is not None
    assert saml.idp_entity_id == "https://idp.new.test/entity"
    assert saml.certificates == [idp_key.cert_base64]


def test_uploaded_metadata_file_configures_sso(
    http: httpx.Client, work: Work, idp_key: KeyPair
) -> None:
    org, csrf = _signed_in(http, work)
    xml = metadata_xml(
        "https://idp.upload.test/entity",
        [(REDIRECT, "https://idp.upload.test/sso")],
        [idp_key.cert_base64],
    )
    answer = http.post(
        f"/orgs/{org.public_id}/sso/metadata",
        data={"csrf_token": csrf},
        files={"metadata_file": ("idp.xml", xml.encode(), "text/xml")},
    )
    assert answer.status_code == 303
    saml = load_org(work, org).saml
    assert saml is not None and saml.idp_entity_id == "https://idp.upload.test/entity"


def test_bad_metadata_is_explained_and_nothing_changes(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work)
    for data, files, expected in (
        ({"metadata_xml": "<not xml"}, None, 'id="metadata-error"'),
        ({"metadata_xml": ""}, None, "paste the identity provider"),
        (
            {},
            {"metadata_file": ("x.xml", b"\xff\xfe\x00bad", "text/xml")},
            "not UTF-8 text",
        ),
    ):
        answer = http.post(
            f"/orgs/{org.public_id}/sso/metadata",
            data={"csrf_token": csrf, **data},
            files=files,
        )
        assert answer.status_code == 400
        assert expected in answer.text
    saml = load_org(work, org).saml
    assert (
        saml is not None and saml.idp_entity_id == "https://idp.example.test/metadata"
    )


def test_generated_token_is_shown_once_and_only_its_hash_kept(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work)
    shown = http.post(f"/orgs/{org.public_id}/scim/tokens", data={"csrf_token": csrf})

    assert shown.status_code == 200
    assert "it will not be shown again" in shown.text
    raw = shown.text.split('id="new-token" value="')[1].split('"')[0]
    assert raw.startswith("rcs_")
    assert raw not in http.get(f"/orgs/{org.public_id}/sso").text
    with work() as db:
        (token,) = orgs.list_tokens(db, orgs.get_org(db, org.public_id))
        assert token.token_hash == orgs.hash_secret(raw)
        assert orgs.authenticate_token(db, org.public_id, raw) is not None


def test_rotate_keeps_old_token_until_revoked(http: httpx.Client, work: Work) -> None:
    org, csrf = _signed_in(http, work)
    first = http.post(f"/orgs/{org.public_id}/scim/tokens", data={"csrf_token": csrf})
    old_raw = first.text.split('id="new-token" value="')[1].split('"')[0]
    with work() as db:
        (old,) = orgs.list_tokens(db, orgs.get_org(db, org.public_id))

    rotated = http.post(
        f"/orgs/{org.public_id}/scim/tokens/{old.public_id}/rotate",
        data={"csrf_token": csrf},
    )
    new_raw = rotated.text.split('id="new-token" value="')[1].split('"')[0]
    assert f"Token {old.public_id} keeps working" in rotated.text
    with work() as db:
        assert orgs.authenticate_token(db, org.public_id, old_raw) is not None
        assert orgs.authenticate_token(db, org.public_id, new_raw) is not None

    revoked = http.post(
        f"/orgs/{org.public_id}/scim/tokens/{old.public_id}/revoke",
        data={"csrf_token": csrf},
        follow_redirects=True,
    )
    assert "The token was revoked." in revoked.text
    assert '<details id="scim" class="card" open>' in revoked.text
    with work() as db:
        assert orgs.authenticate_token(db, org.public_id, old_raw) is None
        assert orgs.authenticate_token(db, org.public_id, new_raw) is not None
        actions = [e.action for e in queries.list_audit(db, org.id, limit=4)]
    assert actions == [
        "token.revoked",
        "token.rotated",
        "token.created",
        "token.created",
    ]


def test_rotating_a_revoked_token_is_refused(http: httpx.Client, work: Work) -> None:
    org, csrf = _signed_in(http, work)
    http.post(f"/orgs/{org.public_id}/scim/tokens", data={"csrf_token": csrf})
    with work() as db:
        (token,) = orgs.list_tokens(db, orgs.get_org(db, org.public_id))
    base = f"/orgs/{org.public_id}/scim/tokens/{token.public_id}"
    http.post(f"{base}/revoke", data={"csrf_token": csrf})

    answer = http.post(f"{base}/rotate", data={"csrf_token": csrf})
    assert answer.status_code == 400
    assert "revoked already" in answer.text
    assert (
        http.post(
            f"/orgs/{org.public_id}/scim/tokens/tok_nope/revoke",
            data={"csrf_token": csrf},
        ).status_code
        == 404
    )


def test_admin_switches_idp_initiated_sign_in_on_and_off(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work)
    url = f"/orgs/{org.public_id}/sso/idp-initiated"
    assert (
        "IdP-initiated sign-in is <strong>off</strong>"
        in http.get(f"/orgs/{org.public_id}/sso").text
    )

    on = http.post(
        url, data={"csrf_token": csrf, "enabled": "on"}, follow_redirects=True
    )
    assert "IdP-initiated sign-in is <strong>on</strong>" in on.text
    assert load_org(work, org).idp_initiated_enabled is True

    http.post(url, data={"csrf_token": csrf, "enabled": "off"})
    assert load_org(work, org).idp_initiated_enabled is False
    with work() as db:
        actions = [e.action for e in queries.list_audit(db, org.id, limit=2)]
    assert actions == ["sso.idp_initiated", "sso.idp_initiated"]


def test_idp_initiated_switch_refuses_a_value_it_does_not_know(
    http: httpx.Client, work: Work
) -> None:
    org, csrf = _signed_in(http, work)
    answer = http.post(
        f"/orgs/{org.public_id}/sso/idp-initiated",
        data={"csrf_token": csrf, "enabled": "maybe"},
    )
    assert answer.status_code == 400
    assert load_org(work, org).idp_initiated_enabled is False
