"""Rollcall: team membership and identity provisioning for SaaS products."""

__version__ = "0.1.0"
