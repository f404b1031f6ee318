"""The app as a whole: health, request ids, error pages."""

import httpx


def test_healthz_answers_with_request_id(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) >= 8


def test_readyz_checks_database(http: httpx.Client) -> None:
    assert http.get("/readyz").json() == {"status": "ready"}


def test_unknown_page_is_readable_html(http: httpx.Client) -> None:
    response = http.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
