"""SAML routes: SP metadata, SP-initiated login, the assertion consumer service."""

from fastapi import APIRouter

router = APIRouter()
