"""update-agents: upgrade the package in each agent's venv, restart its unit, wait until it is back.

:func:`plan_update` is pure (servers and options in, commands out: what a dry run shows);
:func:`execute_update` runs a plan one host at a time over :class:`HostConnection` and stops at
the first failure; the hosts after it are reported ``skipped`` and never touched. "Back online"
is asked of a :data:`WorkerProbe` (the real one reads the Prefect API) until ``verify_timeout_s``.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fleetflow.errors import ConfigError, FleetflowError
from fleetflow.hosts.base import HostConnection

WorkerProbe = Callable[[str, datetime], Awaitable[bool]]
"""(server, restarted_at) -> True once the server's worker is online with a heartbeat since then."""

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")
_SERVER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class UpdateOptions(BaseModel):
    """What to install and how to restart; ``{server}`` in ``restart_command`` is the server name."""

    model_config = ConfigDict(frozen=True)

    version: str | None = Field(default=None, description="Exact version; None = latest the index allows.")
    package: str = Field(default="fleetflow", description="The package to install.")
    venv: str = Field(default="/opt/fleetflow/venv", description="The agent's venv on each host.")
    pip_options: tuple[str, ...] = Field(
        default=(),
        description="Extra pip options, e.g. ('--index-url', URL) or ('--no-index', '--find-links', DIR).",
    )
    restart_command: str = Field(
        default="systemctl restart fleetflow-agent-{server}", description="Restarts the agent unit."
    )
    verify_timeout_s: float = Field(default=120.0, gt=0, description="How long to wait for the worker.")
    verify_interval_s: float = Field(default=2.0, gt=0, description="Pause between probes.")
    command_timeout_s: float = Field(default=600.0, gt=0, description="Limit of each command.")

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not _VERSION.fullmatch(value):
            raise ValueError(f"version {value!r} is not a version number (e.g. 1.4.2)")
        return value

    @field_validator("package")
    @classmethod
    def _package(cls, value: str) -> str:
        if not _SERVER.fullmatch(value):
            raise ValueError(f"package {value!r} is not a package name")
        return value


class StepKind(StrEnum):
    """The steps of one host's update, in order."""

    INSTALL = "install"
    RESTART = "restart"
    VERIFY = "verify"


class Step(BaseModel):
    """One step: a command to run (``verify`` has none: it asks the probe)."""

    model_config = ConfigDict(frozen=True)

    kind: StepKind
    argv: tuple[str, ...] = ()
    detail: str = ""


class HostPlan(BaseModel):
    """The steps for one server."""

    model_config = ConfigDict(frozen=True)

    server: str
    steps: tuple[Step, ...]


class UpdatePlan(BaseModel):
    """Every host's steps, in the order they run."""

    model_config = ConfigDict(frozen=True)

    options: UpdateOptions
    hosts: tuple[HostPlan, ...]


class Outcome(StrEnum):
    """How one host's update ended."""

    UPDATED = "updated"
    FAILED = "failed"
    SKIPPED = "skipped"


class HostUpdate(BaseModel):
    """One host's result; ``step`` is where a failure happened."""

    model_config = ConfigDict(frozen=True)

    server: str
    outcome: Outcome
    step: StepKind | None = None
    detail: str = ""
    duration_s: float = 0.0


def plan_update(servers: Sequence[str], options: UpdateOptions) -> UpdatePlan:
    """Pure: the commands for each server, in the given order (duplicates dropped)."""
    venv = options.venv.rstrip("/") or "/"
    spec = f"{options.package}=={options.version}" if options.version else options.package
    upgrade = () if options.version else ("--upgrade",)
    install = (
        f"{venv}/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
        *options.pip_options, *upgrade, spec,
    )  # fmt: skip
    hosts: list[HostPlan] = []
    for server in dict.fromkeys(servers):
        if not _SERVER.fullmatch(server):
            raise ConfigError(f"invalid server name {server!r}", hint="use the name of a [[server]] entry")
        try:
            restart = tuple(part.format(server=server) for part in shlex.split(options.restart_command))
        except (ValueError, KeyError, IndexError) as exc:
            raise ConfigError(
                f"restart command {options.restart_command!r} cannot be used: {exc}",
                hint="write a command; {server} is the only placeholder",
            ) from exc
        if not restart:
            raise ConfigError(
                "the restart command is empty", hint="e.g. systemctl restart fleetflow-agent-{server}"
            )
        verify = Step(
            kind=StepKind.VERIFY,
            detail=f"a worker on pool host-{server} heartbeats within {options.verify_timeout_s:g} s",
        )
        hosts.append(
            HostPlan(
                server=server,
                steps=(
                    Step(kind=StepKind.INSTALL, argv=install),
                    Step(kind=StepKind.RESTART, argv=restart),
                    verify,
                ),
            )
        )
    return UpdatePlan(options=options, hosts=tuple(hosts))


async def wait_online(
    probe: WorkerProbe, server: str, since: datetime, *, timeout: float, interval: float
) -> bool:
    """Ask ``probe`` until it says yes or ``timeout`` passes (bounded by the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        if await probe(server, since):
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(interval, left))


class _StepFailed(Exception):
    def __init__(self, step: StepKind, detail: str) -> None:
        super().__init__(detail)
        self.step = step


async def _update_host(
    host: HostConnection, plan: HostPlan, options: UpdateOptions, probe: WorkerProbe
) -> None:
    restarted = datetime.now(UTC)
    for step in plan.steps:
        if step.kind is StepKind.VERIFY:
            if not await wait_online(
                probe,
                plan.server,
                restarted,
                timeout=options.verify_timeout_s,
                interval=options.verify_interval_s,
            ):
                raise _StepFailed(
                    step.kind,
                    f"no worker of host-{plan.server} came online within {options.verify_timeout_s:g} s; "
                    f"check the agent unit's journal on the host",
                )
            continue
        if step.kind is StepKind.RESTART:
            restarted = datetime.now(UTC)
        try:
            await host.run(list(step.argv), timeout=options.command_timeout_s)
        except FleetflowError as exc:
            raise _StepFailed(step.kind, str(exc)) from exc


async def execute_update(
    plan: UpdatePlan,
    hosts: Mapping[str, HostConnection],
    probe: WorkerProbe,
    *,
    on_result: Callable[[HostUpdate], None] | None = None,
) -> list[HostUpdate]:
    """Run ``plan`` host by host; the first failure stops it and the rest are ``skipped``."""
    results: list[HostUpdate] = []
    failed = False
    for host_plan in plan.hosts:
        if failed:
            result = HostUpdate(
                server=host_plan.server, outcome=Outcome.SKIPPED, detail="an earlier host failed"
            )
        else:
            started = time.monotonic()
            host = hosts.get(host_plan.server)
            try:
                if host is None:
                    raise _StepFailed(StepKind.INSTALL, "no connection for this server")
                await _update_host(host, host_plan, plan.options, probe)
                result = HostUpdate(server=host_plan.server, outcome=Outcome.UPDATED)
            except _StepFailed as exc:
                failed = True
                result = HostUpdate(
                    server=host_plan.server, outcome=Outcome.FAILED, step=exc.step, detail=str(exc)
                )
            result = result.model_copy(update={"duration_s": round(time.monotonic() - started, 3)})
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
