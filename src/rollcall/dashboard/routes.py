"""Manage Team routes."""

from fastapi import APIRouter

router = APIRouter()
