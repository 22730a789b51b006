"""API tokens: format, salted hashing, verification, revocation, expiry, listing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetflow.api import Role, TokenVerifier, create_token, list_tokens, revoke_token
from fleetflow.api.tokens import check_secret, hash_secret, hash_secret_scrypt, split_token
from fleetflow.errors import ConfigError
from fleetflow.store import StateStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(None, embedded_path=tmp_path / "state") as opened:
        yield opened


def test_token_is_shown_once_and_stored_only_as_salted_hash(store: StateStore) -> None:
    token = create_token(store, "ci", "operator")
    prefix, name, secret = token.split("_")
    assert (prefix, name, len(secret)) == ("ff", "ci", 64)
    assert not store.contains_text(secret)
    assert not store.contains_text(token)
    [record] = store.get_tokens()
    assert record.role == "operator"
    assert record.salted_hash.startswith("hmac-sha256$")
    again = create_token(store, "ci2", "operator")
    assert again.split("_")[2] != secret


def test_hashes_are_keyed_per_server_and_bound_to_the_name() -> None:
    first, second = hash_secret(b"k1", "ci", "s3cret"), hash_secret(b"k2", "ci", "s3cret")
    assert first != second
    assert check_secret(b"k1", "ci", "s3cret", first)
    assert check_secret(b"k2", "ci", "s3cret", second)
    assert not check_secret(b"k1", "ci", "s3creT", first)
    assert not check_secret(b"k2", "ci", "s3cret", first)
    assert not check_secret(b"k1", "cd", "s3cret", first)
    assert not check_secret(b"k1", "ci", "s3cret", "garbage")


def test_legacy_scrypt_hashes_still_verify() -> None:
    legacy = hash_secret_scrypt("s3cret")
    assert check_secret(b"k", "ci", "s3cret", legacy)
    assert not check_secret(b"k", "ci", "s3creT", legacy)


def test_verify_accepts_the_token_and_rejects_everything_else(store: StateStore) -> None:
    token = create_token(store, "ci", Role.ADMIN)
    verifier = TokenVerifier(store)
    assert verifier.verify(token) == ("ci", Role.ADMIN)
    assert verifier.verify(token) == ("ci", Role.ADMIN)
    name, secret = token.split("_")[1:]
    assert verifier.verify(f"ff_{name}_{'0' * len(secret)}") is None
    assert verifier.verify(f"ff_other_{secret}") is None
    for garbage in ("", "ff", "ff__", "ff_ci", token + "_x", "Bearer " + token, token.upper()):
        assert verifier.verify(garbage) is None, garbage
    assert store.get_tokens()[0].last_used is not None


def test_revoked_and_replaced_tokens_stop_working_at_once(store: StateStore) -> None:
    token = create_token(store, "ci", Role.OPERATOR)
    verifier = TokenVerifier(store)
    assert verifier.verify(token) is not None
    replacement = create_token(store, "ci", Role.VIEWER)
    assert verifier.verify(token) is None
    assert verifier.verify(replacement) == ("ci", Role.VIEWER)
    assert revoke_token(store, "ci")
    assert verifier.verify(replacement) is None
    assert not revoke_token(store, "ci")


def test_expired_token_is_refused(store: StateStore) -> None:
    token = create_token(store, "short", Role.VIEWER, ttl=timedelta(hours=1))
    verifier = TokenVerifier(store)
    assert verifier.verify(token) is not None
    later = datetime.now(UTC) + timedelta(hours=2)
    assert verifier.verify(token, now=later) is None
    [info] = list_tokens(store)
    assert info.expires is not None
    assert info.expires < later


def test_list_shows_no_secret_material(store: StateStore) -> None:
    create_token(store, "a", Role.VIEWER)
    create_token(store, "b", Role.ADMIN)
    infos = list_tokens(store)
    assert [(i.name, i.role) for i in infos] == [("a", Role.VIEWER), ("b", Role.ADMIN)]
    assert all("hash" not in i.model_dump() for i in infos)
    assert infos[0].expires is None


@pytest.mark.parametrize("name", ["", "Upper", "has_underscore", "-lead", "x" * 64, "sp ace"])
def test_bad_names_are_refused(store: StateStore, name: str) -> None:
    with pytest.raises(ConfigError, match="token name"):
        create_token(store, name, Role.VIEWER)


def test_unknown_role_is_refused(store: StateStore) -> None:
    with pytest.raises(ConfigError, match="unknown role 'root'"):
        create_token(store, "ci", "root")


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR)
    assert Role.OPERATOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.OPERATOR)
    assert not Role.OPERATOR.allows(Role.ADMIN)
    assert split_token("ff_ci.prod-1_abc") == ("ci.prod-1", "abc")
