"""Applied servers resolve ``[[NAME]]`` in their address, as a sync does before deploying."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.errors import ResourceErrors
from fleetflow.resources import EnvSecrets
from fleetflow.runtime.servers import applied_server, applied_servers
from fleetflow.store import StateStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(None, embedded_path=tmp_path / "state") as s:
        yield s


def test_address_resolved_from_applied_variables_and_secrets(store: StateStore) -> None:
    store.put_resource("variable", "ssh.user", {"value": "ops", "is_secret": False}, "c1", None)
    store.put_resource(
        "server", "edge", {"config": {"address": "ssh://[[ssh.user]]@[[edge-host]]:2222"}}, "c1", None
    )
    secrets = EnvSecrets({"edge-host": "127.0.0.1"}, prefix="")
    server = applied_server(store, "edge", secrets)
    assert server.config.address == "ssh://ops@127.0.0.1:2222"
    assert server.config.ssh is not None
    assert server.config.ssh.port == 2222
    assert [s.config.address for s in applied_servers(store, secrets)] == ["ssh://ops@127.0.0.1:2222"]


def test_secret_variables_are_not_read_from_the_store(store: StateStore) -> None:
    store.put_resource("variable", "HOST", {"value": "sha256:abc", "is_secret": True}, "c1", None)
    store.put_resource("server", "edge", {"config": {"address": "ssh://ops@[[HOST]]"}}, "c1", None)
    with pytest.raises(ResourceErrors, match=r"\[\[HOST\]\]"):
        applied_server(store, "edge", EnvSecrets({}, prefix=""))
    # a health round still lists it (as written): only that host fails to connect
    assert [s.config.address for s in applied_servers(store, EnvSecrets({}, prefix=""))] == [
        "ssh://ops@[[HOST]]"
    ]


def test_a_plain_address_is_left_alone(store: StateStore) -> None:
    store.put_resource("server", "local", {"config": {"address": ""}}, "c1", None)
    assert applied_server(store, "local", EnvSecrets({}, prefix="")).config.address == ""
