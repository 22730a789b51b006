"""The pure parsers validation relies on: interpolation, env files, published ports, YAML lines."""

from __future__ import annotations

import pytest

from fleetflow.resources import EnvSecrets, MemorySource
from fleetflow.validate import OfflineSecrets, validate_repo
from fleetflow.validate.envfiles import parse_env
from fleetflow.validate.facts import published
from fleetflow.validate.host import published_of
from fleetflow.validate.interpolation import Use, render
from fleetflow.validate.yamldoc import YamlError, parse

ENV = {"A": "1", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "out", "uses"),
    [
        ("$$X ${A}", "$X 1", []),
        ("${B:-x${A}y}", "x1y", []),
        ("${EMPTY:-d} ${EMPTY-d}", "d ", []),
        ("${A:+alt}${B+alt}", "alt", []),
        ("$A-b", "1-b", []),
        ("${Z}", "", [Use("Z", "missing")]),
        ("$Z", "", [Use("Z", "missing")]),
        ("${C:?need C}", "", [Use("C", "required", "need C")]),
        ("${E?e}", "", [Use("E", "required", "e")]),
        ("${EMPTY:?must}", "", [Use("EMPTY", "required", "must")]),
        ("${EMPTY?ok}", "", []),
        ("${N:-${M:?inner}}", "", [Use("M", "required", "inner")]),
        ("price $5", "price $5", []),
    ],
)
def test_interpolation(text: str, out: str, uses: list[Use]) -> None:
    assert render(text, ENV) == (out, uses)


def test_env_files_as_compose_reads_them() -> None:
    text = "# c\nexport A=1\nB='two words' # c\nC=\"x\\ny\"\nD=plain # comment\nnot a line\nE=\n"
    assert parse_env(text) == {"A": "1", "B": "two words", "C": "x\ny", "D": "plain", "E": ""}


@pytest.mark.parametrize(
    ("entry", "ports"),
    [
        ("80", []),
        (80, []),
        ("8080:80", [("", 8080, "tcp")]),
        ("127.0.0.1:8080:80/udp", [("127.0.0.1", 8080, "udp")]),
        ("[::1]:53:53", [("::1", 53, "tcp")]),
        ("9000-9001:9000-9001", [("", 9000, "tcp"), ("", 9001, "tcp")]),
        ("127.0.0.1::80", []),
        ({"target": 80, "published": "81", "host_ip": "127.0.0.1"}, [("127.0.0.1", 81, "tcp")]),
        ({"target": 80}, []),
        ("${PORT}:80", []),
    ],
)
def test_published_ports(entry: object, ports: list[tuple[str, int, str]]) -> None:
    assert published(entry) == ports


def test_published_ports_read_from_the_engine() -> None:
    ports = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}], "53/udp": None, "81/tcp": []}
    (p,) = published_of("c1", {"com.docker.compose.project": "web"}, ports)
    assert (p.port, p.proto, p.host_ip, p.container, p.project) == (8080, "tcp", "127.0.0.1", "c1", "web")


def test_yaml_lines_follow_merge_keys_and_compose_tags() -> None:
    doc = parse(
        "x-a: &a\n  image: foo\nservices:\n  web:\n    <<: *a\n    image: bar\n"
        "    ports: !reset []\n    command: !override [a]\n"
    )
    assert doc.data["services"]["web"] == {"image": "bar", "command": ["a"]}
    assert doc.line_of(("services", "web", "image")) == 6
    assert doc.line_of(("services", "web", "command", 0)) == 8
    assert doc.line_of(("services", "web", "nothing")) == 4
    with pytest.raises(YamlError) as caught:
        parse("services:\n  web:\n    image: [a\n  x: 1\n")
    assert caught.value.line == 4


def test_host_facts_collected_from_compose_files() -> None:
    files = {
        "syncs/s.toml": '[[server]]\nname = "h"\n[[stack]]\nname = "a"\n[stack.config]\nserver = "h"\n'
        'run_directory = "a"\n',
        "a/compose.yaml": "services:\n  w:\n    image: x\n    volumes: ['/srv/a:/a', 'v:/v']\n"
        "    ports: ['127.0.0.1:80:80']\n    container_name: w1\n"
        "networks:\n  n1: {external: true, name: real1}\n  n2: {external: {name: real2}}\n  n3: {}\n"
        "volumes:\n  v: {external: true}\n",
    }
    report, _ = validate_repo(MemorySource(files), ["syncs"], secrets=OfflineSecrets(EnvSecrets({})))
    assert report.ok, [str(f) for f in report]
    facts = report.facts["a"]
    assert [n.value for n in facts.external_networks] == ["real1", "real2"]
    assert [v.value for v in facts.external_volumes] == ["v"]
    assert [p.value for p in facts.host_paths] == ["/srv/a"]
    assert [str(p) for p in facts.ports] == ["127.0.0.1:80/tcp"]
    assert [c.value for c in facts.container_names] == ["w1"]
