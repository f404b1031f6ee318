"""The SCIM fixtures of tests/scim, for the IdP sequences replayed here."""

from tests.scim.conftest import scim, store

__all__ = ["scim", "store"]
