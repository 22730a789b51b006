"""update-agents planning (the dry run) and the stop-on-failure order, over a scripted host."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import pytest

from fleetflow.errors import CommandFailed, ConfigError
from fleetflow.fleetops.agents import (
    Outcome,
    StepKind,
    UpdateOptions,
    execute_update,
    plan_update,
    wait_online,
)
from fleetflow.hosts.base import RunResult


def test_plan_pins_version_and_fills_server() -> None:
    plan = plan_update(["a", "b", "a"], UpdateOptions(version="1.4.2", venv="/srv/agent/venv/"))
    assert [h.server for h in plan.hosts] == ["a", "b"]
    install, restart, verify = plan.hosts[1].steps
    assert install.kind is StepKind.INSTALL
    assert install.argv[:4] == ("/srv/agent/venv/bin/python", "-m", "pip", "install")
    assert install.argv[-1] == "fleetflow==1.4.2"
    assert "--upgrade" not in install.argv
    assert restart.argv == ("systemctl", "restart", "fleetflow-agent-b")
    assert verify.kind is StepKind.VERIFY
    assert not verify.argv
    assert "host-b" in verify.detail


def test_plan_latest_upgrades_with_index_options() -> None:
    options = UpdateOptions(
        pip_options=("--no-index", "--find-links", "/wheels"), restart_command="sh -c 'kill -HUP {server}'"
    )
    install, restart, _ = plan_update(["edge"], options).hosts[0].steps
    assert install.argv[-5:] == ("--no-index", "--find-links", "/wheels", "--upgrade", "fleetflow")
    assert restart.argv == ("sh", "-c", "kill -HUP edge")


@pytest.mark.parametrize("version", ["1.0; rm -rf /", "", "-e .", "1 2"])
def test_bad_versions_refused(version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        UpdateOptions(version=version)


@pytest.mark.parametrize(("servers", "command"), [(["../x"], "true"), (["a"], "restart {host}"), (["a"], "")])
def test_bad_server_or_restart_command(servers: list[str], command: str) -> None:
    with pytest.raises(ConfigError):
        plan_update(servers, UpdateOptions(restart_command=command))


class ScriptedHost:
    """Records argv; fails any command whose first word is in ``fail``."""

    def __init__(self, name: str, log: list[str], fail: Sequence[str] = ()) -> None:
        self._name, self.log, self.fail = name, log, set(fail)

    @property
    def name(self) -> str:
        return self._name

    @property
    def stacks_root(self) -> PurePosixPath:
        return PurePosixPath("/tmp")

    async def run(self, argv: Sequence[str], **_: Any) -> RunResult:
        self.log.append(f"{self._name}:{argv[0].rsplit('/', 1)[-1]}")
        if argv[0] in self.fail:
            raise CommandFailed(self._name, argv, 1, "boom")
        return RunResult(tuple(argv), 0, "", "", 0.0)


async def test_stops_at_first_failure_and_skips_the_rest() -> None:
    log: list[str] = []
    hosts: Mapping[str, Any] = {
        "a": ScriptedHost("a", log),
        "b": ScriptedHost("b", log, fail=["restart-agent"]),
        "c": ScriptedHost("c", log),
    }
    probed: list[str] = []

    async def probe(server: str, since: datetime) -> bool:
        probed.append(server)
        return True

    options = UpdateOptions(venv="/v", restart_command="restart-agent {server}")
    results = await execute_update(plan_update(["a", "b", "c"], options), hosts, probe)
    assert [(r.server, r.outcome, r.step) for r in results] == [
        ("a", Outcome.UPDATED, None),
        ("b", Outcome.FAILED, StepKind.RESTART),
        ("c", Outcome.SKIPPED, None),
    ]
    assert log == ["a:python", "a:restart-agent", "b:python", "b:restart-agent"]
    assert probed == ["a"]
    assert "boom" in results[1].detail


async def test_verify_timeout_fails_the_host() -> None:
    log: list[str] = []

    async def never(server: str, since: datetime) -> bool:
        return False

    options = UpdateOptions(verify_timeout_s=0.05, verify_interval_s=0.01)
    hosts: Mapping[str, Any] = {"a": ScriptedHost("a", log), "b": ScriptedHost("b", log)}
    results = await execute_update(plan_update(["a", "b"], options), hosts, never)
    assert [(r.outcome, r.step) for r in results] == [
        (Outcome.FAILED, StepKind.VERIFY),
        (Outcome.SKIPPED, None),
    ]
    assert "host-a" in results[0].detail


async def test_missing_connection_fails_before_running_anything() -> None:
    async def yes(server: str, since: datetime) -> bool:
        return True

    results = await execute_update(plan_update(["ghost"], UpdateOptions()), {}, yes)
    assert (results[0].outcome, results[0].step) == (Outcome.FAILED, StepKind.INSTALL)


async def test_wait_online_is_bounded_and_retries() -> None:
    answers = iter([False, False, True])

    async def probe(server: str, since: datetime) -> bool:
        return next(answers)

    assert await wait_online(probe, "a", datetime.now(), timeout=5, interval=0.01)

    async def never(server: str, since: datetime) -> bool:
        return False

    assert not await wait_online(never, "a", datetime.now(), timeout=0.03, interval=0.01)
