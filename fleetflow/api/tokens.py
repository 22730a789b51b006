"""API tokens: ``ff_<name>_<secret>``, shown once, stored only as a keyed hash.

The secret is 256 random bits, so a slow password hash buys nothing and costs an
unauthenticated caller's worth of CPU per guess: tokens are stored as
``hmac-sha256$<HMAC-SHA-256(server key, name NUL secret) hex>$<expires unix or 0>``
with a random server key kept in the store, and compared in constant time. An
unknown name is checked against a dummy hash, so it costs the same as a wrong secret.
Older ``scrypt$...`` hashes still verify (re-create those tokens to drop the slow path).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fleetflow.errors import ConfigError
from fleetflow.store import StateStore

PREFIX = "ff"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
HMAC_ALGO = "hmac-sha256"
_DUMMY = f"{HMAC_ALGO}${'0' * 64}$0"
TOUCH_EVERY = timedelta(seconds=60)


class Role(StrEnum):
    """What a token may do; each role includes the ones before it."""

    VIEWER = "viewer"  # read (GET)
    OPERATOR = "operator"  # + deploy, stack actions, syncs
    ADMIN = "admin"  # + tokens, destroy

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        """Whether this role may do what ``required`` may."""
        return self.rank >= required.rank


class TokenInfo(BaseModel):
    """A token as listed: everything but its secret and hash."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    created: datetime
    last_used: datetime | None
    expires: datetime | None


def _digest(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def _mac(key: bytes, name: str, secret: str) -> bytes:
    return hmac.new(key, f"{name}\0{secret}".encode(), hashlib.sha256).digest()


def hash_secret(key: bytes, name: str, secret: str, expires: datetime | None = None) -> str:
    """The stored form of token ``name``'s ``secret``: HMAC-SHA-256 under the server key, expiry."""
    exp = int(expires.timestamp()) if expires else 0
    return f"{HMAC_ALGO}${_mac(key, name, secret).hex()}${exp}"


def hash_secret_scrypt(secret: str, expires: datetime | None = None) -> str:
    """The legacy stored form (salted scrypt); still verified, no longer written."""
    salt = secrets.token_bytes(16)
    exp = int(expires.timestamp()) if expires else 0
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${_digest(secret, salt).hex()}${exp}"


def check_secret(key: bytes, name: str, secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (constant-time compare); False when unreadable."""
    parts = stored.split("$")
    try:
        if parts[0] == HMAC_ALGO and len(parts) == 3:
            return hmac.compare_digest(_mac(key, name, secret), bytes.fromhex(parts[1]))
        if parts[0] == "scrypt" and len(parts) == 7:
            n, r, p, salt, digest = int(parts[1]), int(parts[2]), int(parts[3]), parts[4], parts[5]
            want = bytes.fromhex(digest)
            got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=n, r=r, p=p, dklen=len(want))
            return hmac.compare_digest(got, want)
    except ValueError:
        return False
    return False


def expires_of(stored: str) -> datetime | None:
    """When a stored token expires (None: never, or an unreadable hash)."""
    try:
        exp = int(stored.rsplit("$", 1)[-1])
    except ValueError:
        return None
    return datetime.fromtimestamp(exp, UTC) if exp else None


def split_token(token: str) -> tuple[str, str] | None:
    """``(name, secret)`` of a well-formed token, else None."""
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != PREFIX or not NAME_RE.match(parts[1]) or not parts[2]:
        return None
    return parts[1], parts[2]


def create_token(store: StateStore, name: str, role: Role | str, *, ttl: timedelta | None = None) -> str:
    """Create (or replace) token ``name`` with ``role``; return the token, which is never stored."""
    if not NAME_RE.match(name):
        raise ConfigError(
            f"token name {name!r} is not valid",
            hint="Use 1-63 lowercase letters, digits, '.' or '-', starting with a letter or digit.",
        )
    try:
        parsed = Role(role)
    except ValueError:
        raise ConfigError(
            f"unknown role {role!r}", hint=f"Use one of {', '.join(r.value for r in Role)}."
        ) from None
    secret = secrets.token_hex(32)
    expires = datetime.now(UTC) + ttl if ttl is not None else None
    store.put_token(name, parsed.value, hash_secret(store.token_key(), name, secret, expires))
    return f"{PREFIX}_{name}_{secret}"


def revoke_token(store: StateStore, name: str) -> bool:
    """Delete token ``name``; False when there was none."""
    return store.delete_token(name)


def list_tokens(store: StateStore) -> list[TokenInfo]:
    """Every token's name, role, created, last used and expiry (no secrets, no hashes)."""
    return [
        TokenInfo(
            name=t.name,
            role=Role(t.role),
            created=t.created,
            last_used=t.last_used,
            expires=expires_of(t.salted_hash),
        )
        for t in store.get_tokens()
    ]


class TokenVerifier:
    """Checks presented tokens against the store in constant time (same work for unknown names)."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._key: bytes | None = None
        self._touched: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def _server_key(self) -> bytes:
        if self._key is None:
            self._key = self._store.token_key()
        return self._key

    def verify(self, token: str, *, now: datetime | None = None) -> tuple[str, Role] | None:
        """``(name, role)`` for a valid, unexpired token; None otherwise (blocking: call off the loop)."""
        parsed = split_token(token)
        name, secret = parsed or ("", token)
        key = self._server_key()
        record = next((t for t in self._store.get_tokens() if t.name == name), None)
        stored = record.salted_hash if record is not None else _DUMMY
        matches = check_secret(key, name, secret, stored)
        if record is None or parsed is None or not matches:
            return None
        now = now or datetime.now(UTC)
        expires = expires_of(record.salted_hash)
        if expires is not None and expires <= now:
            return None
        self._touch(name, now)
        return name, Role(record.role)

    def _touch(self, name: str, now: datetime) -> None:
        with self._lock:
            last = self._touched.get(name)
            if last is not None and now - last < TOUCH_EVERY:
                return
            if len(self._touched) > 4096:
                self._touched.clear()
            self._touched[name] = now
        self._store.touch_token(name)
