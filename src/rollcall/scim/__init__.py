"""SCIM 2.0 service provider for Users (RFC 7643, RFC 7644)."""
