"""The few pages single sign-on shows: the auto-submitting form that carries a
SAML message across, the development IdP's sign-in form, and "signed out"."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from rollcall.web import policy_posting_to

PACKAGE = Path(__file__).parent
TEMPLATES = Jinja2Templates(
    directory=[PACKAGE / "templates", PACKAGE.parent / "templates"]
)


def render(
    request: Request, name: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, dict(context), status_code=status)


def auto_post(
    request: Request, action: str, fields: Mapping[str, str], heading: str
) -> HTMLResponse:
    """A form that posts ``fields`` to ``action``: submitted by /static/autopost.js,
    or by the person's click when scripts are off (no inline script, so the
    content security policy holds)."""
    page = render(
        request,
        "saml/autopost.html",
        {"action": action, "fields": dict(fields), "heading": heading},
    )
    # The one form that posts off this site: its policy names the target.
    page.headers["content-security-policy"] = policy_posting_to(action)
    return page
