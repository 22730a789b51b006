"""Where ``[[NAME]]`` values come from outside git: the environment, the secrets file, Prefect Secrets."""

from __future__ import annotations

from fleetflow.resources import ChainSecrets, EnvSecrets, FileSecrets, PrefectSecrets, SecretResolver
from fleetflow.runtime import context


def secret_resolver() -> SecretResolver:
    """Secrets from the environment, the secrets file, then Prefect Secret blocks (each looked up once)."""
    chain: list[SecretResolver] = [EnvSecrets()]
    secrets_file = context.settings().secrets_file
    if secrets_file is not None:
        chain.append(FileSecrets(secrets_file))
    chain.append(PrefectSecrets())
    return ChainSecrets(*chain)
