"""Stack and compose project names: a stack's name is its directory on the host, its project
name (``project_name``, else the lower-cased stack name) a Docker Compose project name."""

from __future__ import annotations

import re

STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def slugify(name: str) -> str:
    """A compose project name made from ``name`` (``My App.v2`` -> ``my-app-v2``)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return slug or "stack"


def check_stack_name(name: str) -> str:
    """``name`` when it can be a directory on a host (letters, digits, ``_ . -``); else ValueError."""
    if not STACK_NAME.match(name) or name.strip(".") == "":
        raise ValueError(
            f"stack name {name!r} cannot be a directory on the host: use letters, digits, `_`, `.` "
            f"and `-`, starting with a letter or digit (at most 100), e.g. {slugify(name)!r}"
        )
    return name


def check_project(stack: str, project_name: str) -> str:
    """The compose project of a stack (``project_name`` or the lower-cased name); else ValueError."""
    project = project_name or stack.lower()
    if not PROJECT_NAME.match(project):
        field = "config.project_name" if project_name else "name"
        raise ValueError(
            f"{field} gives the compose project {project!r}, which Docker Compose refuses "
            f"(lower-case letters, digits, `_` and `-`, starting with a letter or digit); "
            f"set project_name = {slugify(project)!r}"
        )
    return project
