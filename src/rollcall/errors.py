"""Errors of the product rules, free of any protocol.

The edges translate them: SCIM answers them as SCIM error JSON, the pages as a
readable page, the command line as a message and a non-zero exit. The tree::

    DomainError
    ├── NotFoundError          the thing does not exist in this org
    ├── ConflictError          it would duplicate something unique (an email)
    ├── StaleVersionError      the caller's version (If-Match) is not the current one
    ├── ForbiddenError         the org or actor may not do this now
    └── InvalidInputError      the value breaks a rule
        ├── MutabilityError    the value may not change (email, userName)
        └── InvalidFilterError a search filter cannot be understood or run
"""


class DomainError(Exception):
    """Base of every error a product rule raises; the message is safe to show."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The resource does not exist, or not in the caller's org."""


class ConflictError(DomainError):
    """The change would break a uniqueness rule (RFC 7644 §3.3 ``uniqueness``)."""


class StaleVersionError(DomainError):
    """The version the caller holds is not the current one (RFC 7644 §3.14)."""


class ForbiddenError(DomainError):
    """The org's subscription, configuration or the actor's role forbids this."""


class InvalidInputError(DomainError):
    """A value breaks a product rule (RFC 7644 §3.12 ``invalidValue``)."""


class MutabilityError(InvalidInputError):
    """The attribute is immutable once set (RFC 7644 §3.12 ``mutability``)."""


class InvalidFilterError(InvalidInputError):
    """The filter is malformed or names what cannot be filtered (``invalidFilter``)."""
