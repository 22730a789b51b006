"""Git credentials kept outside git: never in a remote URL, a log line or an error message.

A token reaches git as an HTTP ``Authorization`` header through ``GIT_CONFIG_*``
environment variables (not argv, not ``.git/config``); an SSH deploy key through
``GIT_SSH_COMMAND``. :func:`mask` scrubs every form of a secret from text that
may be shown to a person.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from fleetflow.errors import ConfigError

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


@dataclass(frozen=True)
class GitCredentials:
    """How to authenticate to a remote: an HTTPS token, an SSH key file, or both."""

    token: SecretStr | None = None
    username: str = "x-access-token"
    ssh_key_file: Path | None = None

    @classmethod
    def from_env(cls, token_var: str, *, username: str = "x-access-token") -> GitCredentials:
        """A token read from environment variable ``token_var`` (error names the variable, not the value)."""
        value = os.environ.get(token_var, "")
        if not value:
            raise ConfigError(
                f"git token variable {token_var} is not set or empty",
                hint="export it in the service environment, or use a Prefect Secret block",
            )
        return cls(token=SecretStr(value), username=username)

    @classmethod
    def from_prefect_secret(cls, block_name: str, *, username: str = "x-access-token") -> GitCredentials:
        """A token loaded from the Prefect ``Secret`` block ``block_name``."""
        from prefect.blocks.system import Secret

        try:
            block: Secret[str] = Secret.load(block_name, _sync=True)  # type: ignore[call-arg,assignment]
            value = block.get()
        except ValueError as exc:
            raise ConfigError(
                f"Prefect Secret block {block_name!r} not found",
                hint="create it with `prefect block create secret`",
            ) from exc
        return cls(token=SecretStr(str(value)), username=username)

    def secrets(self) -> list[str]:
        """Every string form of the secret that could leak into output."""
        if self.token is None:
            return []
        raw = self.token.get_secret_value()
        return [raw, self._basic_auth()]

    def _basic_auth(self) -> str:
        assert self.token is not None
        pair = f"{self.username}:{self.token.get_secret_value()}".encode()
        return base64.b64encode(pair).decode()

    def env(self) -> dict[str, str]:
        """Environment variables that hand the credentials to one git process."""
        env: dict[str, str] = {"GIT_TERMINAL_PROMPT": "0"}
        if self.token is not None:
            env.update(
                GIT_CONFIG_COUNT="1",
                GIT_CONFIG_KEY_0="http.extraHeader",
                GIT_CONFIG_VALUE_0=f"Authorization: Basic {self._basic_auth()}",
            )
        if self.ssh_key_file is not None:
            if not self.ssh_key_file.is_file():
                raise ConfigError(
                    f"SSH deploy key {self.ssh_key_file} does not exist",
                    hint="point ssh_key_file at a readable private key",
                )
            key = shlex.quote(str(self.ssh_key_file))
            env["GIT_SSH_COMMAND"] = f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes"
        return env


def split_credentials(url: str) -> tuple[str, GitCredentials | None]:
    """Move a password embedded in ``https://user:pass@host/...`` out of the URL."""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return clean, GitCredentials(token=SecretStr(parts.password), username=parts.username or "git")
    return url, None


def redact_url(url: str) -> str:
    """``url`` with any user-info replaced by ``***`` (safe for logs)."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", url)


def mask(text: str, credentials: GitCredentials | None = None) -> str:
    """``text`` with URL user-info and every form of the credentials' secret replaced by ``***``."""
    out = redact_url(text)
    for secret in credentials.secrets() if credentials else []:
        if secret:
            out = out.replace(secret, "***")
    return out
