"""One real HTTP round trip: uvicorn on a free 127.0.0.1 port, httpx over TCP."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import closing

import httpx
import uvicorn
from webhook_helper import SECRET, push_body, signed

from fleetflow.webhook import Trigger, WebhookLimits, create_app


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_push_over_real_http_triggers_once() -> None:
    fired = threading.Event()
    triggers: list[Trigger] = []

    def handler(trigger: Trigger) -> None:
        triggers.append(trigger)
        fired.set()

    app = create_app(handler, {"infra": SECRET}, limits=WebhookLimits(debounce_seconds=0.05))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        body = push_body()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.post("/webhook/forgejo/infra", content=body, headers=signed("forgejo", body))
            assert response.status_code == 202
            assert fired.wait(10)
            delivery = response.json()["delivery_id"]
            for _ in range(200):
                record = client.get(f"/webhook/deliveries/{delivery}").json()
                if record["status"] == "completed":
                    break
                time.sleep(0.02)
        assert record["status"] == "completed"
        assert record["source"] == "127.0.0.1"
        assert [t.delivery_ids for t in triggers] == [(delivery,)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
