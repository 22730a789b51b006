"""``[[NAME]]`` interpolation: variables first, then secrets from outside git.

Replaced where Komodo replaces them in a stack (``file_contents``,
``environment`` values, ``pre_deploy``/``post_deploy`` commands,
``compose_cmd_wrapper``, ``extra_args``, ``build_extra_args``) and in a
server's ``address``. The result, ``Desired``, keeps the resources as written
(for planning), the interpolated stacks and servers (for deploying), which
names each stack uses, the load warnings, and masks every secret value in
anything it renders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fleetflow.errors import ResourceError, ResourceErrors
from fleetflow.resources.entries import Kind, Resources, Server, Stack
from fleetflow.resources.loader import LoadResult, Notice
from fleetflow.resources.secrets import NoSecrets, SecretResolver
from fleetflow.resources.server import parse_ssh
from fleetflow.resources.undefined import Use, undefined_errors

REF = re.compile(r"\[\[([A-Za-z0-9_][A-Za-z0-9_.\-]*)\]\]")
MASK = "***"
WRAPPER_PLACEHOLDER = "[[COMPOSE_COMMAND]]"
"""Komodo's own placeholder in ``compose_cmd_wrapper`` (the compose command goes there): never a variable."""


def interpolated_fields(entry: Stack | Server) -> Iterator[tuple[str, str]]:
    """(dotted field, text) for every field ``[[NAME]]`` is replaced in."""
    if isinstance(entry, Server):
        yield "config.address", entry.config.address
        return
    cfg = entry.config
    yield "config.file_contents", cfg.file_contents
    for key, value in cfg.environment.items():
        yield f"config.environment.{key}", value
    yield "config.pre_deploy.command", cfg.pre_deploy.command
    yield "config.post_deploy.command", cfg.post_deploy.command
    yield "config.compose_cmd_wrapper", cfg.compose_cmd_wrapper.replace(WRAPPER_PLACEHOLDER, "")
    for i, arg in enumerate(cfg.extra_args):
        yield f"config.extra_args.{i}", arg
    for i, arg in enumerate(cfg.build_extra_args):
        yield f"config.build_extra_args.{i}", arg


def references(entry: Stack | Server) -> dict[str, list[str]]:
    """Names an entry references -> the fields they appear in."""
    found: dict[str, list[str]] = {}
    for path, text in interpolated_fields(entry):
        if "[[" in text:
            for name in REF.findall(text):
                found.setdefault(name, []).append(path)
    return found


def digest(value: str) -> str:
    """sha256 of a resolved value (what may be stored instead of a secret)."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Desired:
    """Resources as written plus their interpolated stacks and servers; knows what is secret."""

    resources: Resources
    stacks: dict[str, Stack]
    uses: dict[str, frozenset[str]]
    secret_names: frozenset[str]
    values: dict[str, str] = field(repr=False)
    servers: dict[str, Server] = field(default_factory=dict)
    warnings: tuple[Notice, ...] = ()

    def __post_init__(self) -> None:
        if not self.servers:
            object.__setattr__(self, "servers", dict(self.resources.servers))

    @property
    def _secrets(self) -> list[str]:
        secrets = {self.values[n] for n in self.secret_names if self.values.get(n)}
        return sorted(secrets, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def mask_data(self, data: Any) -> Any:
        """A JSON-like structure with every secret value masked."""
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return {k: self.mask_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.mask_data(v) for v in data]
        return data

    def rendered_stack(self, name: str) -> dict[str, Any]:
        """An interpolated stack as shown to people: secrets masked."""
        return dict(self.mask_data(self.stacks[name].model_dump(mode="json")))

    def value_digests(self, name: str) -> dict[str, str]:
        """Hashes of the values a stack uses (for change detection without storing secrets)."""
        return {n: digest(self.values[n]) for n in sorted(self.uses.get(name, ())) if n in self.values}


def _substitute_stack(stack: Stack, sub: Any) -> Stack:
    cfg = stack.config
    update = {
        "file_contents": sub(cfg.file_contents),
        "environment": {k: sub(v) for k, v in cfg.environment.items()},
        "pre_deploy": cfg.pre_deploy.model_copy(update={"command": sub(cfg.pre_deploy.command)}),
        "post_deploy": cfg.post_deploy.model_copy(update={"command": sub(cfg.post_deploy.command)}),
        "compose_cmd_wrapper": WRAPPER_PLACEHOLDER.join(
            sub(part) for part in cfg.compose_cmd_wrapper.split(WRAPPER_PLACEHOLDER)
        ),
        "extra_args": [sub(a) for a in cfg.extra_args],
        "build_extra_args": [sub(a) for a in cfg.build_extra_args],
    }
    return stack.model_copy(update={"config": cfg.model_copy(update=update)})


def _substitute_server(server: Server, sub: Any) -> Server:
    """The server with its address interpolated, validated as if written that way."""
    address = sub(server.config.address).strip()
    if address.startswith("ssh://") and REF.search(address) is None:
        parse_ssh(address)
    cfg = server.config.model_copy(update={"address": address})
    return server.model_copy(update={"config": cfg})


class _Resolver:
    """Values by name: variables, then secrets (each secret looked up once, misses remembered)."""

    def __init__(self, resources: Resources, secrets: SecretResolver) -> None:
        self.secrets = secrets
        self.values = {name: var.value for name, var in resources.variables.items()}
        self.secret_names = {name for name, var in resources.variables.items() if var.is_secret}
        self.unknown: set[str] = set()

    def known(self, name: str) -> bool:
        if name in self.values:
            return True
        if name in self.unknown:
            return False
        value = self.secrets.get(name)
        if value is None:
            self.unknown.add(name)
            return False
        self.values[name] = value
        self.secret_names.add(name)
        return True


def missing_uses(resources: Resources, secrets: SecretResolver) -> dict[str, list[Use]]:
    """Every ``[[NAME]]`` with neither a variable nor a secret -> where it is used."""
    resolver = _Resolver(resources, secrets)
    missing: dict[str, list[Use]] = {}
    for kind, name, entry in _entries(resources):
        if isinstance(entry, Stack) and entry.config.skip_secret_interp:
            continue
        for ref, paths in references(entry).items():
            if not resolver.known(ref):
                missing.setdefault(ref, []).extend(Use(kind, name, p) for p in paths)
    return missing


def _entries(resources: Resources) -> Iterator[tuple[Kind, str, Stack | Server]]:
    for name, server in resources.servers.items():
        yield Kind.SERVER, name, server
    for name, stack in resources.stacks.items():
        yield Kind.STACK, name, stack


def interpolate(loaded: LoadResult | Resources, secrets: SecretResolver | None = None) -> Desired:
    """Replace ``[[NAME]]`` in every stack and server address; raise ``ResourceErrors`` for unknown names
    (grouped: one entry for all of them, with counts and the first use)."""
    resources = loaded.resources if isinstance(loaded, LoadResult) else loaded
    warnings = tuple(loaded.warnings) if isinstance(loaded, LoadResult) else ()
    resolver = _Resolver(resources, secrets or NoSecrets())
    missing: dict[str, list[Use]] = {}
    bad: list[ResourceError] = []
    stacks: dict[str, Stack] = {}
    servers: dict[str, Server] = {}
    uses: dict[str, frozenset[str]] = {}
    values = resolver.values
    for kind, name, entry in _entries(resources):
        refs = references(entry)
        skip_interp = isinstance(entry, Stack) and entry.config.skip_secret_interp
        for ref, paths in refs.items():
            if not resolver.known(ref) and not skip_interp:
                missing.setdefault(ref, []).extend(Use(kind, name, p) for p in paths)
        skip = frozenset(resolver.secret_names) if skip_interp else frozenset()

        def sub(text: str, skip: frozenset[str] = skip) -> str:
            if "[[" not in text:
                return text
            return REF.sub(lambda m: m.group(0) if m[1] in skip or m[1] not in values else values[m[1]], text)

        if isinstance(entry, Stack):
            uses[name] = frozenset(r for r in refs if r in values)
            stacks[name] = _substitute_stack(entry, sub) if refs else entry
        elif refs:
            try:
                servers[name] = _substitute_server(entry, sub)
            except ValueError:  # the message would hold the address, which may hold a secret
                bad.append(
                    ResourceError(
                        f"server {name!r}: once [[NAME]] is interpolated, its address is not a valid "
                        "ssh:// address.",
                        resources.where(Kind.SERVER, name, "config.address"),
                        hint="Check the values it uses; write ssh://user@host[:port].",
                    )
                )
        else:
            servers[name] = entry
    if missing or bad:
        errors = [*bad, *undefined_errors(missing, resources)]
        raise ResourceErrors(errors, warnings=warnings)
    return Desired(
        resources,
        stacks,
        uses,
        frozenset(resolver.secret_names),
        values,
        servers=servers,
        warnings=warnings,
    )
