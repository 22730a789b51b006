"""Parsers of SSH-host command outputs, driven by outputs captured from a real host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetflow.errors import FleetflowError
from fleetflow.health.collect import SEP, parse_system
from fleetflow.health.models import ContainerState
from fleetflow.health.parse import (
    container,
    container_state,
    cpu_times,
    parse_cpu,
    parse_df,
    parse_docker_ps,
    parse_docker_version,
    parse_loadavg,
    parse_meminfo,
    parse_uptime,
)

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_loadavg_uptime_meminfo() -> None:
    load = parse_loadavg(read("loadavg.txt"))
    assert len(load) == 3
    assert all(v >= 0 for v in load)
    assert parse_uptime("1446.87 1883.55\n") == pytest.approx(1446.87)
    assert parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n") == 75.0
    assert 0 <= parse_meminfo(read("meminfo.txt")) <= 100


def test_cpu_from_two_samples() -> None:
    assert cpu_times("cpu  10 0 10 70 10 0 0 0 0 0\n") == (20, 100)
    assert parse_cpu("cpu  10 0 10 70 10 0 0 0\n", "cpu  40 0 20 100 20 0 0 0\n") == 50.0
    assert parse_cpu("cpu 1 1 1 1\n", "cpu 1 1 1 1\n") == 0.0
    assert 0 <= parse_cpu(read("stat1.txt"), read("stat2.txt")) <= 100


def test_df_keeps_real_mounts_and_honours_ignore() -> None:
    mounts = parse_df(read("df.txt"))
    assert [m.mount for m in mounts] == ["/", "/srv/data"]
    data = mounts[1]
    assert data.percent == 80.0
    assert data.total_bytes == 1000000 * 1024
    assert data.used_bytes == 800000 * 1024
    assert [m.mount for m in parse_df(read("df.txt"), ["/srv"])] == ["/"]
    assert [m.mount for m in parse_df(read("df.txt"), ["/srv/data/"])] == ["/"]


def test_docker_version_and_ps() -> None:
    assert parse_docker_version(read("docker_version.json")) == ("20.10.24+dfsg1", "1.41")
    found = parse_docker_ps(read("docker_ps.jsonl"))
    assert len(found) == 4
    first = found[0]
    assert first.project == "whoami-green"
    assert first.service == "web"
    assert first.state is ContainerState.RUNNING
    assert len(first.fingerprint) == 64
    assert first.id == "4acb2ff593aa"


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("running", "Up 2 minutes (healthy)", ContainerState.RUNNING),
        ("running", "Up 2 minutes (unhealthy)", ContainerState.UNHEALTHY),
        ("exited", "Exited (1) 3 seconds ago", ContainerState.EXITED),
        ("restarting", "Restarting (1) 1 second ago", ContainerState.RESTARTING),
        ("paused", "Up 1 minute (Paused)", ContainerState.PAUSED),
        ("dead", "Dead", ContainerState.EXITED),
        ("removing", "Removal In Progress", ContainerState.OTHER),
    ],
)
def test_container_states(state: str, status: str, expected: ContainerState) -> None:
    assert container_state(state, status) is expected


def test_api_container_with_label_dict_and_exit_code() -> None:
    raw = {
        "Id": "f" * 64,
        "Names": ["/p-a-1"],
        "Image": "img:1",
        "State": "exited",
        "Status": "Exited (137) 5 seconds ago",
        "Labels": {"com.docker.compose.project": "p", "com.docker.compose.service": "a"},
    }
    c = container(raw)
    assert (c.id, c.name, c.project, c.service, c.exit_code) == ("f" * 12, "p-a-1", "p", "a", 137)


def test_label_values_with_commas_survive() -> None:
    labels = "a=1,files=/x.yaml,/y.yaml,com.docker.compose.project=p"
    line = json.dumps({"ID": "abc", "State": "running", "Status": "Up", "Labels": labels})
    (c,) = parse_docker_ps(line)
    assert c.project == "p"


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_loadavg, "garbage"),
        (parse_uptime, ""),
        (parse_meminfo, "MemTotal: 0 kB\n"),
        (parse_df, "no header\n"),
        (parse_docker_version, '{"Client": {}}'),
        (parse_docker_ps, "{not json"),
    ],
)
def test_malformed_outputs_name_the_command(parser: object, text: str) -> None:
    with pytest.raises(FleetflowError, match="cannot parse"):
        parser(text)  # type: ignore[operator]


def test_system_script_output() -> None:
    parts = [
        read("loadavg.txt"),
        read("uptime.txt"),
        read("meminfo.txt"),
        read("stat1.txt"),
        read("stat2.txt"),
        read("df.txt"),
    ]
    system = parse_system(f"{SEP}\n".join(parts), ["/srv/data"])
    assert [m.mount for m in system.mounts] == ["/"]
    assert 0 <= system.cpu <= 100
    assert 0 < system.mem < 100
    assert system.uptime > 0
    with pytest.raises(FleetflowError, match="expected 6"):
        parse_system("only one part")
