"""SAML 2.0 service provider, one per org, on python3-saml."""
