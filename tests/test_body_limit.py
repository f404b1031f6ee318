"""Web forms have an overall size limit: a request body over it is answered 413
with a readable page before any form parser reads it (SCIM keeps its own)."""

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import make_org

MiB = 1024 * 1024


@pytest.fixture
def org_id(db: Session) -> str:
    org = make_org(db)
    db.commit()
    return org.public_id


def test_oversized_form_with_content_length_is_a_413_page(
    http: httpx.Client, org_id: str
) -> None:
    files = {"SAMLResponse": ("big.txt", b"x" * (3 * MiB), "text/plain")}

    answer = http.post(f"/sso/{org_id}/acs", files=files)

    assert answer.status_code == 413
    assert "text/html" in answer.headers["content-type"]
    assert "too large" in answer.text
    assert answer.headers["x-request-id"]


def test_oversized_streamed_body_without_length_is_a_413_page(
    http: httpx.Client, org_id: str
) -> None:
    boundary = "rollcallboundary"

    def chunks() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="SAMLResponse"; '
            'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        for _ in range(48):
            yield b"x" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = http.post(
        f"/sso/{org_id}/acs",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert answer.status_code == 413
    assert "too large" in answer.text


def test_form_under_the_limit_is_read_as_usual(http: httpx.Client, org_id: str) -> None:
    answer = http.post(f"/sso/{org_id}/acs", data={"SAMLResponse": "x" * (MiB // 2)})

    assert answer.status_code == 400
    assert "Sign-in refused" in answer.text


def test_scim_keeps_its_own_limit_and_json_errors(
    http: httpx.Client, org_id: str
) -> None:
    answer = http.post(
        f"/scim/v2/{org_id}/Users",
        content=b"{" + b" " * (3 * MiB) + b"}",
        headers={"Content-Type": "application/scim+json", "Authorization": "Bearer x"},
    )

    assert answer.status_code in (401, 413)
    assert answer.headers["content-type"].startswith("application/scim+json")
