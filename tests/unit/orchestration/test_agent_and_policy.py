"""Agent command, systemd unit and retry policy: pure edge cases."""

from __future__ import annotations

import pytest

from fleetflow.agent import pool_name, systemd_unit, worker_command
from fleetflow.errors import ConfigError
from tasks.policy import DEFAULT, NEVER, RetryPolicy


def test_worker_command_targets_the_host_pool_with_heartbeats() -> None:
    command = worker_command("apollo", query_seconds=3, limit=2)
    assert command.argv[1:4] == ["worker", "start", "--pool"]
    assert command.argv[4] == pool_name("apollo") == "host-apollo"
    assert command.argv[-2:] == ["--limit", "2"]
    assert command.env["PREFECT_WORKER_QUERY_SECONDS"] == "3"
    assert int(command.env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) > 30


@pytest.mark.parametrize("bad", ["", "a/b", " apollo"])
def test_worker_command_rejects_bad_server_names(bad: str) -> None:
    with pytest.raises(ConfigError, match="invalid server name"):
        worker_command(bad)


def test_systemd_unit_restarts_always_and_stops_with_sigint() -> None:
    unit = systemd_unit("apollo")
    assert "Restart=always" in unit
    assert "KillSignal=SIGINT" in unit
    assert "agent --server apollo" in unit


def test_retry_policy_backs_off_exponentially_with_jitter() -> None:
    assert DEFAULT.delays() == [2.0, 4.0, 8.0]
    options = RetryPolicy(retries=2, backoff_factor=1.5, jitter_factor=0.2).task_options()
    assert options == {"retries": 2, "retry_delay_seconds": [1.5, 3.0], "retry_jitter_factor": 0.2}
    assert NEVER.task_options()["retries"] == 0
