"""Jinja2 templates and the readable error page, shared by the HTML edges."""

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# No inline script or style anywhere: the pages load /static files only.
BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def policy_posting_to(url: str) -> str:
    """The content security policy of a page whose form posts to ``url`` (an
    IdP's SSO URL, a plain http(s) URL as its metadata was checked)."""
    parts = urlsplit(url)
    return f"{BASE_POLICY}; form-action 'self' {parts.scheme}://{parts.netloc}"


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page for a person: what happened and what they can do, no internals."""
    return TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )
