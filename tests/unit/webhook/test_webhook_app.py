"""The receiver in-process (httpx ASGITransport): verify, record, dedupe, coalesce, rate limit."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from webhook_helper import SECRET, push_body, serve_in_process, signed, wait_status

from fleetflow.errors import ConfigError
from fleetflow.webhook import Delivery, Trigger, WebhookLimits, create_app

Client = httpx.AsyncClient
DONE = {"completed", "failed"}


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.triggers: list[Trigger] = []
        self.fired = threading.Event()
        self.fail = fail

    def __call__(self, trigger: Trigger) -> None:
        self.triggers.append(trigger)
        self.fired.set()
        if self.fail:
            raise RuntimeError("prefect unreachable")


@pytest.fixture
def handler() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(handler: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    limits = WebhookLimits(debounce_seconds=0.05, max_delay_seconds=0.5, max_body_bytes=4096)
    app = create_app(handler, {"infra": SECRET, "apps": SECRET}, branches={"apps": "prod"}, limits=limits)
    async with serve_in_process(app) as test_client:
        yield test_client


@pytest.mark.parametrize("provider", ["github", "gitea", "forgejo", "gitlab"])
async def test_valid_push_is_accepted_and_triggers(provider: str, client: Client, handler: Recorder) -> None:
    body = push_body()
    response = await client.post(f"/webhook/{provider}/infra", content=body, headers=signed(provider, body))
    assert response.status_code == 202
    delivery_id = response.json()["delivery_id"]
    record = await wait_status(client, delivery_id, DONE)
    assert record["status"] == "completed"
    assert record["commit"] == "a" * 40
    assert handler.triggers[0].endpoint == "infra"
    assert handler.triggers[0].delivery_ids == (delivery_id,)


@pytest.mark.parametrize(
    ("mutate", "status", "reason"),
    [
        ("wrong_secret", 403, "does not match"),
        ("missing_header", 401, "missing"),
        ("tampered", 403, "does not match"),
        ("oversize", 413, "limit"),
        ("unknown_endpoint", 404, "no webhook endpoint"),
        ("unknown_provider", 404, "unknown provider"),
    ],
)
async def test_rejections_have_status_and_are_recorded(
    mutate: str, status: int, reason: str, client: Client, handler: Recorder
) -> None:
    body, provider, name = push_body(), "github", "infra"
    headers = signed(provider, body)
    if mutate == "wrong_secret":
        headers = signed(provider, body, secret="guess")
    elif mutate == "missing_header":
        del headers["X-Hub-Signature-256"]
    elif mutate == "tampered":
        body = body.replace(b"main", b"mai\\u006e")
    elif mutate == "oversize":
        body = body + b" " * 5000
        headers = signed(provider, body)
    elif mutate == "unknown_endpoint":
        name = "nope"
    else:
        provider = "bitbucket"
    response = await client.post(f"/webhook/{provider}/{name}", content=body, headers=headers)
    assert response.status_code == status
    assert reason in response.json()["reason"]
    record = (await client.get(f"/webhook/deliveries/{response.json()['delivery_id']}")).json()
    assert record["status"] == "rejected"
    assert record["http_status"] == status
    assert not handler.triggers


async def test_other_branch_and_ping_are_ignored(client: Client, handler: Recorder) -> None:
    body = push_body("main")  # endpoint "apps" tracks prod
    response = await client.post("/webhook/github/apps", content=body, headers=signed("github", body))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert (
        "tracks 'prod'"
        in (await client.get(f"/webhook/deliveries/{response.json()['delivery_id']}")).json()["reason"]
    )
    ping_headers = {**signed("github", b"{}"), "X-GitHub-Event": "ping"}
    assert (await client.post("/webhook/github/infra", content=b"{}", headers=ping_headers)).json()[
        "status"
    ] == "ignored"
    deleted = push_body("main", "0" * 40)
    reply = await client.post("/webhook/github/infra", content=deleted, headers=signed("github", deleted))
    assert "deleted" in reply.json()["reason"]
    assert not handler.triggers


async def test_duplicate_delivery_is_not_triggered_twice(client: Client, handler: Recorder) -> None:
    body = push_body()
    headers = signed("gitea", body, delivery="fixed-id")
    assert (await client.post("/webhook/gitea/infra", content=body, headers=headers)).status_code == 202
    second = await client.post("/webhook/gitea/infra", content=body, headers=headers)
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert (await wait_status(client, "fixed-id", DONE))["status"] == "completed"
    assert len(handler.triggers) == 1


async def test_burst_of_200_pushes_gives_at_most_two_triggers(client: Client, handler: Recorder) -> None:
    ids = []
    for i in range(200):
        body = push_body(after=f"{i + 1:040x}")
        response = await client.post("/webhook/github/infra", content=body, headers=signed("github", body))
        assert response.status_code == 202, response.json()
        ids.append(response.json()["delivery_id"])
    for delivery_id in (ids[0], ids[-1]):
        assert (await wait_status(client, delivery_id, DONE))["status"] == "completed"
    assert 1 <= len(handler.triggers) <= 2
    assert sorted(i for t in handler.triggers for i in t.delivery_ids) == sorted(ids)
    assert handler.triggers[-1].commit == f"{200:040x}"


async def test_handler_failure_is_the_delivery_outcome() -> None:
    failing = Recorder(fail=True)
    app = create_app(failing, {"infra": SECRET}, limits=WebhookLimits(debounce_seconds=0))
    async with serve_in_process(app) as client:
        body = push_body()
        delivery_id = (
            await client.post("/webhook/gitlab/infra", content=body, headers=signed("gitlab", body))
        ).json()["delivery_id"]
        record = await wait_status(client, delivery_id, DONE)
    assert record["status"] == "failed"
    assert "prefect unreachable" in record["reason"]


async def test_repeated_failures_from_one_source_are_rate_limited() -> None:
    seen: list[Delivery] = []
    limits = WebhookLimits(max_failures_per_window=3)
    app = create_app(Recorder(), {"infra": SECRET}, limits=limits, recorder=seen.append)
    async with serve_in_process(app) as client:
        body = push_body()
        bad = signed("github", body, secret="guess")
        codes = [(await client.post("/webhook/github/infra", content=body, headers=bad)) for _ in range(4)]
        good = await client.post("/webhook/github/infra", content=body, headers=signed("github", body))
    assert [r.status_code for r in codes] == [403, 403, 403, 429]
    assert good.status_code == 429
    assert [d.http_status for d in seen] == [403, 403, 403, 429, 429]
    assert all(SECRET not in d.model_dump_json() for d in seen)


def test_endpoint_without_secret_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="apps"):
        create_app(Recorder(), {"infra": SECRET, "apps": ""})


async def test_unknown_delivery_is_404(client: Client) -> None:
    assert (await client.get("/webhook/deliveries/nope")).status_code == 404
