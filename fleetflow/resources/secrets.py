"""Secrets from outside git for ``[[NAME]]`` interpolation: one small resolver interface.

Resolvers return ``None`` for a name they do not know. ``PrefectSecrets``
imports Prefect only when a value is first asked for.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fleetflow.errors import ConfigError


@runtime_checkable
class SecretResolver(Protocol):
    """Looks up a secret by its ``[[NAME]]``."""

    def get(self, name: str) -> str | None: ...


class EnvSecrets:
    """``FLEETFLOW_SECRET_<NAME>`` environment variables."""

    def __init__(self, environ: Mapping[str, str] | None = None, prefix: str = "FLEETFLOW_SECRET_") -> None:
        self.environ = os.environ if environ is None else environ
        self.prefix = prefix

    def get(self, name: str) -> str | None:
        return self.environ.get(f"{self.prefix}{name}")


class FileSecrets:
    """A TOML file of ``NAME = "value"`` lines (kept outside git, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._values: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._values is None:
            try:
                doc = tomllib.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise ConfigError(
                    f"secrets file {self.path} not found", hint="create it or unset it"
                ) from exc
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                # the parser message may quote a value: name only the file and the kind of problem
                raise ConfigError(
                    f"secrets file {self.path} cannot be read ({type(exc).__name__})",
                    hint='write one NAME = "value" per line',
                ) from exc
            self._values = {str(k): str(v) for k, v in doc.items() if isinstance(v, str | int | float)}
        return self._values

    def get(self, name: str) -> str | None:
        return self._load().get(name)


def _prefect_secret(block_name: str) -> str | None:
    from prefect.blocks.system import Secret

    try:
        block: Any = Secret.load(block_name)
    except ValueError:  # no such block
        return None
    value = block.get()
    return value if isinstance(value, str) else str(value)


class PrefectSecrets:
    """Prefect ``Secret`` blocks; ``[[DB_PASSWORD]]`` is the block ``db-password``."""

    def __init__(self, loader: Callable[[str], str | None] = _prefect_secret) -> None:
        self._loader = loader
        self._cache: dict[str, str | None] = {}

    @staticmethod
    def block_name(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    def get(self, name: str) -> str | None:
        if name not in self._cache:
            self._cache[name] = self._loader(self.block_name(name))
        return self._cache[name]


class ChainSecrets:
    """The first resolver that knows a name wins; each name is looked up once (hits and misses)."""

    def __init__(self, *resolvers: SecretResolver) -> None:
        self.resolvers = resolvers
        self._seen: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        if name in self._seen:
            return self._seen[name]
        found = None
        for resolver in self.resolvers:
            found = resolver.get(name)
            if found is not None:
                break
        self._seen[name] = found
        return found


class NoSecrets:
    """Knows no secrets (for plans made without access to them)."""

    def get(self, name: str) -> str | None:
        return None
