"""SCIM 2.0 routes under ``/scim/v2/{org_id}``."""

from fastapi import APIRouter, FastAPI

router = APIRouter(prefix="/scim/v2/{org_id}")


def install(app: FastAPI) -> None:
    """Add what the SCIM edge needs beyond its routes (path normalising)."""
