"""API tokens: ``ff_<name>_<secret>``, shown once, stored only as a salted scrypt hash.

The name inside the token is the lookup key, so verifying reads one record and
hashes once; hashes are never scanned. The stored string is
``scrypt$<n>$<r>$<p>$<salt hex>$<digest hex>$<expires unix or 0>``. A process
remembers tokens it has verified (keyed by the stored hash, so a revoked or
re-created token is checked afresh) to keep requests off the slow hash.
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


def hash_secret(secret: str, expires: datetime | None = None) -> str:
    """The stored form of ``secret``: algorithm, parameters, per-token salt, digest, expiry."""
    salt = secrets.token_bytes(16)
    exp = int(expires.timestamp()) if expires else 0
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${_digest(secret, salt).hex()}${exp}"


def _parse_hash(stored: str) -> tuple[bytes, bytes, int, tuple[int, int, int]]:
    algo, n, r, p, salt, digest, exp = stored.split("$")
    if algo != "scrypt":
        raise ValueError(f"unknown token hash algorithm {algo!r}")
    return bytes.fromhex(salt), bytes.fromhex(digest), int(exp), (int(n), int(r), int(p))


def check_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash (constant-time compare)."""
    salt, digest, _, (n, r, p) = _parse_hash(stored)
    candidate = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


def expires_of(stored: str) -> datetime | None:
    """When a stored token expires (None: never)."""
    exp = _parse_hash(stored)[2]
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
    store.put_token(name, parsed.value, hash_secret(secret, expires))
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
    """Checks presented tokens against the store; remembers verified ones per stored hash."""

    def __init__(self, store: StateStore, *, cache_size: int = 1024) -> None:
        self._store = store
        self._verified: dict[tuple[str, str], bytes] = {}
        self._touched: dict[str, datetime] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, token: str, *, now: datetime | None = None) -> tuple[str, Role] | None:
        """``(name, role)`` for a valid, unexpired token; None otherwise (blocking: call off the loop)."""
        parsed = split_token(token)
        if parsed is None:
            return None
        name, secret = parsed
        record = next((t for t in self._store.get_tokens() if t.name == name), None)
        if record is None:
            return None
        now = now or datetime.now(UTC)
        expires = expires_of(record.salted_hash)
        if expires is not None and expires <= now:
            return None
        key, fast = (name, record.salted_hash), hashlib.sha256(token.encode()).digest()
        with self._lock:
            known = self._verified.get(key)
        if known is None or not hmac.compare_digest(known, fast):
            if not check_secret(secret, record.salted_hash):
                return None
            with self._lock:
                if len(self._verified) >= self._cache_size:
                    self._verified.pop(next(iter(self._verified)))
                self._verified[key] = fast
        self._touch(name, now)
        return name, Role(record.role)

    def _touch(self, name: str, now: datetime) -> None:
        with self._lock:
            last = self._touched.get(name)
            if last is not None and now - last < TOUCH_EVERY:
                return
            self._touched[name] = now
        self._store.touch_token(name)
