"""Komodo's ``compose_cmd_wrapper``: run chosen compose subcommands through a shell wrapper.

The wrapper text is read as Komodo reads multi-line commands (``#`` comments
dropped, `` \\`` continuations joined, lines chained with ``&&``); its
``[[COMPOSE_COMMAND]]`` is replaced by the full, shell-quoted compose command
and the result runs with ``sh -c`` in the run directory. Only the subcommands in
``compose_cmd_wrapper_include`` are wrapped (Komodo's default: ``up`` alone).
Typical use: ``sops exec-env secrets.env '[[COMPOSE_COMMAND]]'``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

PLACEHOLDER = "[[COMPOSE_COMMAND]]"
DEFAULT_INCLUDE = ("up",)
SUBCOMMANDS = ("config", "build", "pull", "up")


def _clean_lines(text: str) -> list[str]:
    out = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        out.append(line.split(" #", 1)[0].strip())
    return out


def parse_multiline_command(text: str) -> str:
    """One shell command from a multi-line one: comments out, continuations joined, ``&&`` between."""
    joined = " ".join(part.strip() for part in "\n".join(_clean_lines(text)).split(" \\"))
    return " && ".join(_clean_lines(joined))


def wrapper_include(wrapper: str, include: Sequence[str]) -> tuple[str, ...]:
    """The subcommands to wrap: ``include``, or ``up`` alone when a wrapper is set without one."""
    if parse_multiline_command(wrapper) and not include:
        return DEFAULT_INCLUDE
    return tuple(include)


def check(wrapper: str) -> None:
    """Raise ``ValueError`` when a wrapper is set without ``[[COMPOSE_COMMAND]]``."""
    command = parse_multiline_command(wrapper)
    if command and PLACEHOLDER not in command:
        raise ValueError(
            f"compose_cmd_wrapper does not contain {PLACEHOLDER}: the compose command has nowhere to go"
        )


def wrap(wrapper: str, include: Sequence[str], argv: Sequence[str], subcommand: str) -> str | None:
    """The shell command running ``argv`` through ``wrapper``; None when ``subcommand`` is not wrapped.

    Raises ``ValueError`` when the wrapper lacks ``[[COMPOSE_COMMAND]]``.
    """
    command = parse_multiline_command(wrapper)
    if not command or subcommand not in wrapper_include(wrapper, include):
        return None
    check(wrapper)
    return command.replace(PLACEHOLDER, shlex.join(argv))
