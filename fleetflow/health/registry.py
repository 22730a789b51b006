"""Registry digests over the Docker Registry HTTP API v2 (httpx), cached per tag.

``HEAD /v2/<name>/manifests/<tag>`` with every manifest media type accepted; a
401 with a ``Bearer`` challenge fetches a token from the realm it names (with
basic credentials when configured) and retries once. Registries on 127.0.0.0/8
and ``localhost`` are spoken to over plain HTTP, as dockerd does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from fleetflow.errors import ComponentUnavailable

DOCKER_HUB = "registry-1.docker.io"
CACHE_TTL_S = 600.0
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]repository[:tag][@digest]`` taken apart (Docker Hub names normalised)."""

    registry: str
    repository: str
    tag: str
    digest: str = ""

    @property
    def pinned(self) -> bool:
        return bool(self.digest)

    @property
    def hub_prefix(self) -> str:
        """The prefix of this repository in an image's RepoDigests (``name@sha256:...``)."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"


def parse_ref(ref: str) -> ImageRef:
    """Split an image reference the way the Docker CLI does."""
    name, _, digest = ref.partition("@")
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    repo, tag = path, "latest"
    if ":" in path.rsplit("/", 1)[-1]:
        repo, _, tag = path.rpartition(":")
    if registry == DOCKER_HUB and "/" not in repo:
        repo = f"library/{repo}"
    return ImageRef(registry=registry, repository=repo, tag=tag, digest=digest)


def base_url(registry: str) -> str:
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry
    insecure = host == "localhost" or host.startswith("127.")
    return f"{'http' if insecure else 'https'}://{registry}"


class RegistryClient:
    """Manifest digests of tags; each answer cached ``ttl_s`` seconds (``cache`` may outlive the client)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        credentials: Mapping[str, tuple[str, SecretStr]] | None = None,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        cache: dict[tuple[str, str, str], tuple[float, str]] | None = None,
    ) -> None:
        self._http = client
        self._creds = dict(credentials or {})
        self._ttl = ttl_s
        self._clock = clock
        self._cache = cache if cache is not None else {}
        self.requests = 0

    def _basic(self, registry: str) -> httpx.BasicAuth | None:
        cred = self._creds.get(registry)
        return httpx.BasicAuth(cred[0], cred[1].get_secret_value()) if cred else None

    async def _token(self, ref: ImageRef, challenge: str) -> str:
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", "")
        if not realm:
            raise ComponentUnavailable(f"registry {ref.registry}: token challenge without realm")
        params.setdefault("scope", f"repository:{ref.repository}:pull")
        auth = self._basic(ref.registry)
        resp = (
            await self._http.get(realm, params=params, auth=auth)
            if auth
            else await self._http.get(realm, params=params)
        )
        self.requests += 1
        resp.raise_for_status()
        body = resp.json()
        return str(body.get("token") or body.get("access_token") or "")

    async def _head(self, ref: ImageRef) -> str:
        url = f"{base_url(ref.registry)}/v2/{ref.repository}/manifests/{ref.tag}"
        headers = {"Accept": ACCEPT}
        resp = await self._http.head(url, headers=headers)
        self.requests += 1
        challenge = resp.headers.get("www-authenticate", "")
        if resp.status_code == 401 and challenge.lower().startswith("bearer"):
            token = await self._token(ref, challenge)
            resp = await self._http.head(url, headers={**headers, "Authorization": f"Bearer {token}"})
            self.requests += 1
        elif resp.status_code == 401 and (auth := self._basic(ref.registry)) is not None:
            resp = await self._http.head(url, headers=headers, auth=auth)
            self.requests += 1
        resp.raise_for_status()
        digest = str(resp.headers.get("docker-content-digest", ""))
        if not digest:
            raise ComponentUnavailable(f"registry {ref.registry} sent no Docker-Content-Digest for {ref.tag}")
        return digest

    async def digest(self, ref: ImageRef) -> str:
        """The registry's digest of ``ref``'s tag (cached); raise ComponentUnavailable when unreadable."""
        key = (ref.registry, ref.repository, ref.tag)
        now = self._clock()
        hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        try:
            found = await self._head(ref)
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise ComponentUnavailable(
                f"registry {ref.registry}: {ref.repository}:{ref.tag} answered HTTP {code}",
                hint="check the image name and the registry credentials configured outside git",
            ) from exc
        except httpx.HTTPError as exc:
            raise ComponentUnavailable(
                f"registry {ref.registry} unreachable for {ref.repository}:{ref.tag}: {type(exc).__name__}"
            ) from exc
        self._cache[key] = (now + self._ttl, found)
        return found
