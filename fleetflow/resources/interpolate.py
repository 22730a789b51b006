"""``[[NAME]]`` interpolation: variables first, then secrets from outside git.

Replaced in a stack's ``environment`` values, ``pre_deploy``/``post_deploy``
commands and ``extra_args``. The result, ``Desired``, keeps the resources as
written (for planning), the interpolated stacks (for deploying), which names
each stack uses, and masks every secret value in anything it renders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fleetflow.errors import ResourceError, ResourceErrors
from fleetflow.resources.entries import Kind, Resources, Stack
from fleetflow.resources.loader import LoadResult
from fleetflow.resources.secrets import NoSecrets, SecretResolver

REF = re.compile(r"\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]")
MASK = "***"


def interpolated_fields(stack: Stack) -> Iterator[tuple[str, str]]:
    """(dotted field, text) for every field ``[[NAME]]`` is replaced in."""
    cfg = stack.config
    for key, value in cfg.environment.items():
        yield f"config.environment.{key}", value
    yield "config.pre_deploy.command", cfg.pre_deploy.command
    yield "config.post_deploy.command", cfg.post_deploy.command
    for i, arg in enumerate(cfg.extra_args):
        yield f"config.extra_args.{i}", arg


def references(stack: Stack) -> dict[str, list[str]]:
    """Names a stack references -> the fields they appear in."""
    found: dict[str, list[str]] = {}
    for path, text in interpolated_fields(stack):
        for name in REF.findall(text):
            found.setdefault(name, []).append(path)
    return found


def digest(value: str) -> str:
    """sha256 of a resolved value (what may be stored instead of a secret)."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Desired:
    """Resources as written plus their interpolated stacks; knows what is secret."""

    resources: Resources
    stacks: dict[str, Stack]
    uses: dict[str, frozenset[str]]
    secret_names: frozenset[str]
    values: dict[str, str] = field(repr=False)

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


def _substitute(stack: Stack, values: dict[str, str], skip: frozenset[str]) -> Stack:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name in skip or name not in values else values[name]

    cfg = stack.config
    update = {
        "environment": {k: REF.sub(repl, v) for k, v in cfg.environment.items()},
        "pre_deploy": cfg.pre_deploy.model_copy(update={"command": REF.sub(repl, cfg.pre_deploy.command)}),
        "post_deploy": cfg.post_deploy.model_copy(update={"command": REF.sub(repl, cfg.post_deploy.command)}),
        "extra_args": [REF.sub(repl, a) for a in cfg.extra_args],
    }
    return stack.model_copy(update={"config": cfg.model_copy(update=update)})


def interpolate(loaded: LoadResult | Resources, secrets: SecretResolver | None = None) -> Desired:
    """Replace ``[[NAME]]`` in every stack; raise ``ResourceErrors`` naming each unknown use."""
    resources = loaded.resources if isinstance(loaded, LoadResult) else loaded
    resolver = secrets or NoSecrets()
    values = {name: var.value for name, var in resources.variables.items()}
    secret_names = {name for name, var in resources.variables.items() if var.is_secret}
    errors: list[ResourceError] = []
    stacks: dict[str, Stack] = {}
    uses: dict[str, frozenset[str]] = {}
    for name, stack in resources.stacks.items():
        refs = references(stack)
        for ref, paths in refs.items():
            if ref in values:
                continue
            value = resolver.get(ref)
            if value is not None:
                values[ref] = value
                secret_names.add(ref)
            elif not stack.config.skip_secret_interp:
                errors.append(
                    ResourceError(
                        f"stack {name!r} uses [[{ref}]] but no variable or secret {ref} exists.",
                        resources.where(Kind.STACK, name, paths[0]),
                        hint=f"Add a [[variable]] named {ref}, or provide the secret outside git "
                        f"(env FLEETFLOW_SECRET_{ref}, the secrets file, or Prefect Secret block "
                        f"{ref.lower().replace('_', '-')}).",
                    )
                )
        uses[name] = frozenset(r for r in refs if r in values)
        skip = frozenset(secret_names) if stack.config.skip_secret_interp else frozenset()
        stacks[name] = _substitute(stack, values, skip) if refs else stack
    if errors:
        raise ResourceErrors(errors)
    return Desired(resources, stacks, uses, frozenset(secret_names), values)
