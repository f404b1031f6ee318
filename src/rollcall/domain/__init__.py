"""Product rules for orgs and members; no web framework here."""
