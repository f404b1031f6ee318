"""Settings, read from ``ROLLCALL_*`` environment variables and an optional ``.env``.

Nothing here runs at import time: ``cli.py`` or a test builds one :class:`Settings`
and passes it to :func:`rollcall.app.create_app`.
"""

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "development"}


class SecretMissingError(ValueError):
    """The instance may not start: its secret key is missing or a placeholder."""


class Settings(BaseSettings):
    """Everything an instance needs to know to run; validated once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="ROLLCALL_", env_file=".env", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///rollcall.db"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr("development")
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    admin_link_minutes: int = Field(default=15, ge=1, le=24 * 60)
    saml_clock_skew_seconds: int = Field(default=120, ge=0, le=600)
    dev_idp_enabled: bool = False

    # Every request outside /scim (forms, the ACS, metadata upload); SCIM has its own.
    form_max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)
    scim_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    scim_max_filter_length: int = Field(default=2048, ge=64)
    scim_max_patch_operations: int = Field(default=100, ge=1)
    scim_max_page_size: int = Field(default=100, ge=1, le=1000)
    scim_rate_limit_per_minute: int = Field(default=1200, ge=0)
    provisioning_log_keep: int = Field(default=1000, ge=10)

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        """An absolute http(s) URL without query or fragment: every link, SCIM
        location and SAML endpoint is built by appending a path to it."""
        url = urlsplit(value.strip())
        if (
            url.scheme not in ("http", "https")
            or not url.hostname
            or url.query
            or url.fragment
            or value.strip().endswith(("?", "#"))
            or any(c.isspace() or not c.isprintable() for c in value.strip())
        ):
            raise ValueError(
                "must be an absolute http:// or https:// URL such as "
                "https://rollcall.example.com, without a query or fragment"
            )
        return value.strip().rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def check_secrets(self) -> None:
        """Refuse to start in production with a missing or placeholder secret key."""
        if self.is_production and (
            self.secret_key.get_secret_value().lower() in PLACEHOLDER_SECRETS
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise SecretMissingError(
                "ROLLCALL_SECRET_KEY must be set to a random value of at least 32 "
                "characters in production"
            )
