"""Choosing mongodump vs pymongo, and keeping the URL out of mongodump's argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.backup import DumpTool
from fleetflow.backup.mongodump_tool import mongodump_argv, resolve_tool, uri_for_tools
from fleetflow.errors import BackupError


def test_auto_falls_back_to_pymongo_without_mongodump(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_tool(DumpTool.AUTO) == (DumpTool.PYMONGO, None)
    assert resolve_tool(DumpTool.PYMONGO) == (DumpTool.PYMONGO, None)
    with pytest.raises(BackupError, match="mongodump is not on PATH"):
        resolve_tool(DumpTool.MONGODUMP)


def test_auto_picks_mongodump_when_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tool = tmp_path / "mongodump"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_tool(DumpTool.AUTO) == (DumpTool.MONGODUMP, str(tool))
    assert resolve_tool(DumpTool.PYMONGO) == (DumpTool.PYMONGO, None)


def test_argv_carries_a_config_file_not_the_url() -> None:
    config = Path("/run/x/mongodump.yaml")
    argv = mongodump_argv("/usr/bin/mongodump", config, "fleetflow", Path("/b/.partial"))
    assert argv == [
        "/usr/bin/mongodump",
        "--config=/run/x/mongodump.yaml",
        "--db=fleetflow",
        "--gzip",
        "--out=/b/.partial",
        "--quiet",
    ]
    assert not any("mongodb://" in arg for arg in argv)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"),
        ("mongodb://h:1", "mongodb://h:1"),
        ("mongodb://h:1/fleetflow", "mongodb://h:1/"),
        ("mongodb://u:p@h:1/admin", "mongodb://u:p@h:1/?authSource=admin"),
        ("mongodb://u:p@h:1/app?authSource=other&tls=true", "mongodb://u:p@h:1/?authSource=other&tls=true"),
    ],
)
def test_uri_for_tools_drops_the_path_database_but_keeps_the_auth_source(url: str, expected: str) -> None:
    assert uri_for_tools(url) == expected
