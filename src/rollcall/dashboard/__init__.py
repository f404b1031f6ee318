"""The Manage Team pages."""
