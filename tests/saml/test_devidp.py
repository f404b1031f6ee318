"""The development IdP: off unless enabled, and when on, a real signed round
trip from the login link through its form to a session."""

import html
import re
import stat
from urllib.parse import urlsplit

import httpx
import pytest

from rollcall.config import Settings
from rollcall.domain import orgs
from rollcall.saml import devidp, sp
from rollcall.storage.models import Org
from tests.factories import OPERATOR, make_org
from tests.saml.conftest import Work


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"dev_idp_enabled": True})


@pytest.fixture
def demo_org(work: Work, settings: Settings) -> Org:
    with work() as db:
        org = make_org(db, name="Demo", sso=False, provisioning=False)
        orgs.configure_sso(db, org, devidp.idp_settings(settings), OPERATOR)
    return org


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no hidden field {name}"
    return html.unescape(found.group(1))


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_sign_in_through_the_development_idp_starts_a_session(
    http: httpx.Client, demo_org: Org
) -> None:
    login = http.get(f"/sso/{demo_org.public_id}/login", params={"next": "/hello"})
    assert login.headers["location"].startswith("http://127.0.0.1/dev-idp/sso?")

    form = http.get(local(login.headers["location"]))
    assert form.status_code == 200
    assert "Development IdP — not for production" in form.text

    handover = http.post(
        "/dev-idp/sso",
        data={
            "email": "demo.user@example.com",
            "given_name": "Demo",
            "family_name": "User",
            "SAMLRequest": hidden(form.text, "SAMLRequest"),
            "RelayState": hidden(form.text, "RelayState"),
        },
    )
    assert handover.status_code == 200
    acs = f"http://127.0.0.1/sso/{demo_org.public_id}/acs"
    assert f'action="{acs}"' in handover.text
    assert '<script src="/static/autopost.js"></script>' in handover.text

    answer = http.post(
        local(acs), data={"SAMLResponse": hidden(handover.text, "SAMLResponse")}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/hello")
    member = http.get("/api/session").json()["member"]
    assert (member["email"], member["display_name"]) == (
        "demo.user@example.com",
        "Demo User",
    )


def test_development_idp_key_is_kept_private_and_reused(settings: Settings) -> None:
    first = devidp.idp_settings(settings)
    second = devidp.idp_settings(settings)

    assert first.certificates == second.certificates
    assert first.entity_id == "http://127.0.0.1/dev-idp/metadata"
    assert first.sso_url == "http://127.0.0.1/dev-idp/sso"
    mode = devidp.key_path(settings).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_development_idp_answers_only_requests_of_this_rollcall(
    http: httpx.Client, demo_org: Org, work: Work
) -> None:
    with work() as db:
        org = orgs.get_org(db, demo_org.public_id)
        foreign = Settings(public_url="https://other.example.test", _env_file=None)  # type: ignore[call-arg]
        request = sp.start_login(foreign, org).saml_request

    answer = http.get("/dev-idp/sso", params={"SAMLRequest": request})

    assert answer.status_code == 400
    assert "only this Rollcall" in answer.text


def test_development_idp_without_a_request_explains_where_to_start(
    http: httpx.Client,
) -> None:
    answer = http.get("/dev-idp/sso")

    assert answer.status_code == 400
    assert "sign-in link" in answer.text
