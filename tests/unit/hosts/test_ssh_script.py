"""The remote ``sh -s`` script, run here by a real local ``sh``: quoting, env, cwd, start failures."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fleetflow.errors import ConfigError, FleetflowError
from fleetflow.hosts.remote_shell import parse_markers, remote_script, safe_relpath


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, check=False, timeout=10)


def split(stderr: str) -> tuple[dict[str, str], list[str]]:
    markers: dict[str, str] = {}
    rest = [line for line in stderr.splitlines() if not parse_markers(line, markers)]
    return markers, rest


def test_argv_env_and_cwd_arrive_exactly(tmp_path: Path) -> None:
    tricky = "a b'c\"$HOME`x`\n;|&"
    script = remote_script(
        ["sh", "-c", 'printf "%s|" "$1" "$V" "$(pwd)"', "-", tricky], {"V": tricky}, str(tmp_path)
    )
    done = run_script(script)
    assert done.returncode == 0
    assert done.stdout == f"{tricky}|{tricky}|{tmp_path}|"
    markers, rest = split(done.stderr)
    assert rest == []
    assert markers == {"pgid": str(os.getpgid(0))}  # the child shares this test's process group


def test_env_values_are_not_on_any_command_line() -> None:
    script = remote_script(["true"], {"TOKEN": "s3cr3t"}, None)
    assert script.splitlines()[-1] == "exec true </dev/null"
    assert "export TOKEN=s3cr3t" in script.splitlines()


def test_exit_status_and_stderr_pass_through() -> None:
    done = run_script(remote_script(["sh", "-c", "echo oops >&2; exit 3"], {}, None))
    assert done.returncode == 3
    assert split(done.stderr)[1] == ["oops"]


def test_missing_directory_is_marked(tmp_path: Path) -> None:
    done = run_script(remote_script(["true"], {}, str(tmp_path / "nope")))
    assert done.returncode == 127
    assert split(done.stderr)[0]["failed"] == "cwd"


def test_missing_program_is_marked() -> None:
    done = run_script(remote_script(["fleetflow-no-such-program"], {}, None))
    assert done.returncode == 127
    assert split(done.stderr)[0]["failed"] == "program"


def test_stdin_is_not_inherited() -> None:
    done = run_script(remote_script(["cat"], {}, None) + "this line must not reach cat\n")
    assert done.returncode == 0
    assert done.stdout == ""


def test_bad_env_names_and_empty_argv_are_refused() -> None:
    with pytest.raises(ConfigError, match="not a valid shell variable name"):
        remote_script(["true"], {"A-B": "x"}, None)
    with pytest.raises(ValueError, match="empty argv"):
        remote_script([], {}, None)


@pytest.mark.parametrize(
    ("rel", "expected"), [("a.txt", "/s/x/a.txt"), ("d/./e.env", "/s/x/d/e.env"), ("d//f", "/s/x/d/f")]
)
def test_relative_paths_stay_inside(rel: str, expected: str) -> None:
    assert safe_relpath("/s/x", rel) == expected


@pytest.mark.parametrize("rel", ["/etc/passwd", "../y", "d/../../y", ""])
def test_escaping_paths_are_refused(rel: str) -> None:
    with pytest.raises(FleetflowError, match="escapes /s/x"):
        safe_relpath("/s/x", rel)
