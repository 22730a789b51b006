"""SshHost files over SFTP: atomic writes with modes, reads, removal, and a connection dropped mid-upload."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fleetflow.errors import ComponentUnavailable, FleetflowError
from fleetflow.hosts.ssh import SshHost

pytestmark = pytest.mark.ssh


async def test_put_read_and_replace_files(host: SshHost, tmp_path: Path) -> None:
    dest = str(tmp_path / "stacks" / "web")
    await host.put_files(dest, {"compose.yaml": b"services: {}\n", "conf/app.ini": b"a=1\n"})
    assert await host.read_file(f"{dest}/compose.yaml") == b"services: {}\n"
    assert (tmp_path / "stacks/web/conf/app.ini").read_bytes() == b"a=1\n"
    await host.put_files(dest, {"conf/app.ini": b"a=2\n"})
    assert await host.read_file(f"{dest}/conf/app.ini") == b"a=2\n"
    assert sorted(p.name for p in (tmp_path / "stacks/web/conf").iterdir()) == ["app.ini"]  # no temp left


async def test_mode_is_set_exactly(host: SshHost, tmp_path: Path) -> None:
    dest = tmp_path / "s"
    await host.put_files(str(dest), {".env": b"TOKEN=x\n"}, mode=0o600)
    await host.put_files(str(dest), {"run.sh": b"#!/bin/sh\n"}, mode=0o755)
    assert (dest / ".env").stat().st_mode & 0o777 == 0o600
    assert (dest / "run.sh").stat().st_mode & 0o777 == 0o755


async def test_read_missing_is_none_and_remove_is_idempotent(host: SshHost, tmp_path: Path) -> None:
    assert await host.read_file(str(tmp_path / "nope")) is None
    assert await host.read_file(str(tmp_path / "nope" / "deeper")) is None
    await host.put_files(str(tmp_path / "tree"), {"a/b/c.txt": b"x"})
    await host.remove(str(tmp_path / "tree"))
    assert not (tmp_path / "tree").exists()
    await host.remove(str(tmp_path / "tree"))
    with pytest.raises(FleetflowError, match="refusing to remove '/'"):
        await host.remove("/")


async def test_paths_escaping_the_destination_are_refused(host: SshHost, tmp_path: Path) -> None:
    with pytest.raises(FleetflowError, match="escapes"):
        await host.put_files(str(tmp_path / "d"), {"../evil": b"x"})
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "d").exists()


async def test_write_into_a_file_path_fails_clearly(host: SshHost, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    with pytest.raises(FleetflowError, match=f"on edge: cannot write files under {tmp_path}/plain"):
        await host.put_files(str(tmp_path / "plain"), {"a": b"x"})


async def test_connection_dropped_mid_upload_is_unavailable_and_atomic(host: SshHost, tmp_path: Path) -> None:
    dest = tmp_path / "big"
    await host.put_files(str(dest), {"blob": b"old"})
    upload = asyncio.create_task(host.put_files(str(dest), {"blob": b"\0" * (256 << 20)}))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if any(p.name.startswith(".ff-") for p in dest.iterdir()):
            break
    await host.close()
    with pytest.raises(
        ComponentUnavailable, match=r"SSH to edge \(ssh://.*\): upload to .*big failed"
    ) as info:
        await upload
    assert "check that the host is up" in str(info.value)
    assert (dest / "blob").read_bytes() == b"old"
    await host.put_files(str(dest), {"blob": b"new"})
    assert (dest / "blob").read_bytes() == b"new"
