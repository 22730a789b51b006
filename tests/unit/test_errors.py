"""The error tree renders what a person needs to act."""

from __future__ import annotations

from fleetflow.errors import CommandFailed, FleetflowError, Location, ResourceError, ResourceErrors


def test_resource_error_names_file_line_field() -> None:
    err = ResourceError("unknown server 'zeus'", Location("syncs/stacks.toml", 12, "server"))
    assert str(err) == "syncs/stacks.toml:12 [server]: unknown server 'zeus'"
    assert isinstance(err, FleetflowError)


def test_collected_errors_list_every_problem() -> None:
    errs = ResourceErrors(
        [
            ResourceError("a", Location("x.toml", 1, "name")),
            ResourceError("b", Location("y.toml", 2)),
        ]
    )
    assert "2 problem(s)" in str(errs)
    assert "x.toml:1 [name]: a" in str(errs)
    assert "y.toml:2: b" in str(errs)


def test_command_failed_keeps_only_the_stderr_tail() -> None:
    stderr = "\n".join(f"line {i}" for i in range(100))
    err = CommandFailed("apollo", ["docker", "compose", "up"], 17, stderr)
    assert err.exit_status == 17
    assert "line 99" in str(err)
    assert "line 10\n" not in str(err)
    assert "apollo" in str(err)


def test_message_and_hint_read_as_two_sentences() -> None:
    assert str(FleetflowError("store down", hint="Start it.")) == "store down. Start it."
    assert str(FleetflowError("store down.", hint="Start it.")) == "store down. Start it."
    assert str(FleetflowError("why:", hint="see above")) == "why: see above"
    assert str(FleetflowError("plain")) == "plain"
