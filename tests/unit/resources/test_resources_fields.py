"""Lenient list and environment fields, model defaults and server addresses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fleetflow.resources import (
    Reach,
    ServerConfig,
    SshAddress,
    Stack,
    StackConfig,
    parse_environment,
    split_list,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a, b,,c", ["a", "b", "c"]),
        ("a\nb\n\n c ", ["a", "b", "c"]),
        (["x", "y"], ["x", "y"]),
        (None, []),
        ("", []),
    ],
)
def test_split_list(raw: object, expected: list[str]) -> None:
    assert split_list(raw) == expected


def test_environment_text_keeps_order_and_handles_quotes_export_comments() -> None:
    text = '# c\n\nexport A=1\nB="x \\"y\\" # not a comment"\nC=\'$raw\'\nD=v # comment\nA=2\n'
    assert list(parse_environment(text).items()) == [
        ("A", "2"),
        ("B", 'x "y" # not a comment'),
        ("C", "$raw"),
        ("D", "v"),
    ]


def test_environment_array_and_table() -> None:
    assert parse_environment(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    assert parse_environment({"N": 5}) == {"N": "5"}


@pytest.mark.parametrize("bad", ["NOEQUALS", "1BAD=x", 'Q="open', ["ok=1", 3]])
def test_environment_rejects_bad_lines_naming_the_line(bad: object) -> None:
    with pytest.raises(ValueError, match=r"environment (line|item) \d"):
        parse_environment(bad)


def test_stack_defaults_are_fleetflows() -> None:
    cfg = StackConfig()
    assert (cfg.poll_for_updates, cfg.auto_update, cfg.webhook_enabled, cfg.auto_pull) == (
        True,
        True,
        False,
        True,
    )
    assert cfg.env_file_path == ".env"
    assert cfg.compose_candidates[0] == "compose.yaml"
    stack = Stack.model_validate({"name": "web", "config": {"server_id": "nas"}})
    assert stack.project == "web"
    assert stack.config.server == "nas"
    named = Stack.model_validate({"name": "web", "config": {"project_name": "www"}})
    assert named.project == "www"


def test_additional_env_files_accept_strings_and_tables() -> None:
    cfg = StackConfig.model_validate({"additional_env_files": ["a.env", {"path": "b.env", "track": False}]})
    assert [(f.path, f.track) for f in cfg.additional_env_files] == [("a.env", True), ("b.env", False)]
    assert [
        f.path
        for f in StackConfig.model_validate({"additional_env_files": "x.env, y.env"}).additional_env_files
    ] == [
        "x.env",
        "y.env",
    ]


def test_server_defaults_and_thresholds() -> None:
    cfg = ServerConfig()
    assert cfg.enabled is True
    assert (cfg.cpu_warning, cfg.cpu_critical, cfg.mem_warning, cfg.mem_critical) == (90, 99, 75, 95)
    assert (cfg.disk_warning, cfg.disk_critical) == (75, 95)


@pytest.mark.parametrize(
    ("address", "reach", "ssh"),
    [
        ("", Reach.LOCAL, None),
        ("unix:///var/run/docker.sock", Reach.LOCAL, None),
        ("ssh://admin@10.0.0.2", Reach.SSH, SshAddress(user="admin", host="10.0.0.2", port=22)),
        ("ssh://h.example:2222", Reach.SSH, SshAddress(user=None, host="h.example", port=2222)),
        ("https://periphery.example:8120", Reach.AGENT, None),
    ],
)
def test_server_reach(address: str, reach: Reach, ssh: SshAddress | None) -> None:
    cfg = ServerConfig(address=address)
    assert cfg.reach is reach
    assert cfg.ssh == ssh


@pytest.mark.parametrize("address", ["ssh://", "ssh://user@host:notaport"])
def test_bad_ssh_address_is_a_validation_error(address: str) -> None:
    with pytest.raises(ValidationError, match="ssh address"):
        ServerConfig(address=address)
