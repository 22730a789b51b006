"""Push webhooks of GitHub, Gitea/Forgejo and GitLab: verify the secret, read the push.

GitHub signs the body with HMAC-SHA256 (``X-Hub-Signature-256: sha256=<hex>``),
Gitea and Forgejo too (``X-Gitea-Signature`` / ``X-Forgejo-Signature: <hex>``),
GitLab sends the shared token itself (``X-Gitlab-Token``). Every comparison is
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fleetflow.limits import LimitExceeded, load_json

ZERO_SHA = "0" * 40


class Provider(StrEnum):
    """Supported webhook senders (the ``{provider}`` path segment)."""

    GITHUB = "github"
    GITEA = "gitea"
    FORGEJO = "forgejo"
    GITLAB = "gitlab"


@dataclass(frozen=True)
class _Headers:
    event: tuple[str, ...]
    signature: tuple[str, ...]
    delivery: tuple[str, ...]
    push_event: str


_HEADERS = {
    Provider.GITHUB: _Headers(("x-github-event",), ("x-hub-signature-256",), ("x-github-delivery",), "push"),
    Provider.GITEA: _Headers(("x-gitea-event",), ("x-gitea-signature",), ("x-gitea-delivery",), "push"),
    Provider.FORGEJO: _Headers(
        ("x-forgejo-event", "x-gitea-event"),
        ("x-forgejo-signature", "x-gitea-signature"),
        ("x-forgejo-delivery", "x-gitea-delivery"),
        "push",
    ),
    Provider.GITLAB: _Headers(
        ("x-gitlab-event",),
        ("x-gitlab-token",),
        ("x-gitlab-event-uuid", "x-gitlab-webhook-uuid"),
        "Push Hook",
    ),
}


class Rejected(Exception):
    """A request the receiver refuses: HTTP status and a reason safe to show and record."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Push:
    """What a verified request says: event, delivery id, branch and new head."""

    provider: Provider
    event: str
    delivery_id: str | None
    branch: str | None = None
    commit: str | None = None
    repository: str | None = None

    @property
    def is_push(self) -> bool:
        return self.event == _HEADERS[self.provider].push_event


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = headers.get(name)
        if value:
            return value
    return None


def verify(provider: Provider, headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise :class:`Rejected` (401 missing, 403 wrong) unless the request carries ``secret``'s proof."""
    spec = _HEADERS[provider]
    given = _first(headers, spec.signature)
    if not given:
        raise Rejected(401, f"missing {' or '.join(spec.signature)} header")
    if provider is Provider.GITLAB:
        ok = hmac.compare_digest(given.encode(), secret.encode())
    else:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        expected = f"sha256={digest}" if provider is Provider.GITHUB else digest
        ok = hmac.compare_digest(given.strip().lower().encode(), expected.encode())
    if not ok:
        raise Rejected(403, "signature does not match the body and the configured secret")


def parse(provider: Provider, headers: Mapping[str, str], body: bytes) -> Push:
    """Read event, delivery id, branch and commit from a verified request."""
    spec = _HEADERS[provider]
    event = _first(headers, spec.event) or ""
    delivery = _first(headers, spec.delivery)
    if event != spec.push_event:
        return Push(provider, event, delivery)
    try:
        payload: Any = load_json(body, "push payload")
    except LimitExceeded as exc:
        raise Rejected(413 if exc.size else 400, str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(400, "push payload is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("ref"), str):
        raise Rejected(400, "push payload has no `ref`")
    ref: str = payload["ref"]
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    commit = payload.get("after") or payload.get("checkout_sha")
    repo = payload.get("repository")
    name = repo.get("full_name") or repo.get("path_with_namespace") if isinstance(repo, dict) else None
    if not name and isinstance(payload.get("project"), dict):
        name = payload["project"].get("path_with_namespace")
    return Push(
        provider,
        event,
        delivery,
        branch=branch,
        commit=str(commit) if commit else None,
        repository=str(name) if name else None,
    )
