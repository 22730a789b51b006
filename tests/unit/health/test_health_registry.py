"""Image references, registry token auth and the per-tag cache (httpx MockTransport: protocol edge cases)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from fleetflow.errors import ComponentUnavailable
from fleetflow.health.registry import ACCEPT, DOCKER_HUB, ImageRef, RegistryClient, base_url, parse_ref

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nginx", ImageRef(DOCKER_HUB, "library/nginx", "latest")),
        ("nginx:1.27", ImageRef(DOCKER_HUB, "library/nginx", "1.27")),
        ("grafana/grafana:11", ImageRef(DOCKER_HUB, "grafana/grafana", "11")),
        ("127.0.0.1:27150/x:1", ImageRef("127.0.0.1:27150", "x", "1")),
        ("ghcr.io/o/app/sub", ImageRef("ghcr.io", "o/app/sub", "latest")),
        ("localhost/app:2", ImageRef("localhost", "app", "2")),
        (f"redis:7@{DIGEST}", ImageRef(DOCKER_HUB, "library/redis", "7", DIGEST)),
    ],
)
def test_parse_ref(ref: str, expected: ImageRef) -> None:
    assert parse_ref(ref) == expected


def test_prefix_and_scheme() -> None:
    assert parse_ref("nginx").hub_prefix == "nginx"
    assert parse_ref("127.0.0.1:5000/a/b:1").hub_prefix == "127.0.0.1:5000/a/b"
    assert base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert base_url("ghcr.io") == "https://ghcr.io"


def _token_registry(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            assert request.url.params["scope"] == "repository:o/app:pull"
            assert request.headers["authorization"].startswith("Basic ")
            return httpx.Response(200, json={"token": "tok123"})
        assert request.headers["accept"] == ACCEPT
        if request.headers.get("authorization") != "Bearer tok123":
            challenge = 'Bearer realm="https://auth.example.test/token",service="reg.example.test"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200, headers={"Docker-Content-Digest": DIGEST})

    return httpx.MockTransport(handler)


async def test_token_auth_and_cache_per_tag() -> None:
    seen: list[httpx.Request] = []
    now = [1000.0]
    async with httpx.AsyncClient(transport=_token_registry(seen)) as http:
        reg = RegistryClient(
            http, credentials={"reg.example.test": ("bot", SecretStr("pw"))}, clock=lambda: now[0]
        )
        ref = parse_ref("reg.example.test/o/app:1")
        assert await reg.digest(ref) == DIGEST
        assert [r.method for r in seen] == ["HEAD", "GET", "HEAD"]
        assert seen[0].url == httpx.URL("https://reg.example.test/v2/o/app/manifests/1")
        assert await reg.digest(ref) == DIGEST
        assert len(seen) == 3
        now[0] += 601
        assert await reg.digest(ref) == DIGEST
        assert len(seen) == 6


async def test_errors_become_component_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "missing" in request.url.path:
            return httpx.Response(404)
        if "nodigest" in request.url.path:
            return httpx.Response(200)
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        reg = RegistryClient(http)
        with pytest.raises(ComponentUnavailable, match="HTTP 404"):
            await reg.digest(parse_ref("127.0.0.1:1/missing:1"))
        with pytest.raises(ComponentUnavailable, match="no Docker-Content-Digest"):
            await reg.digest(parse_ref("127.0.0.1:1/nodigest:1"))
        with pytest.raises(ComponentUnavailable, match="unreachable"):
            await reg.digest(parse_ref("127.0.0.1:1/down:1"))
