"""Jinja2 templates and the readable error page, shared by the HTML edges."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page for a person: what happened and what they can do, no internals."""
    return TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )
