"""Lenient field types of the resource format: lists as strings, environment as text.

Komodo lets a list be a TOML array or one string split on commas/newlines, and
``environment`` be any key/value form its parser reads (see ``keyvalue``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from fleetflow.resources.keyvalue import parse_key_values


def split_list(value: Any) -> Any:
    """A TOML array stays; one string splits on commas and newlines (``#`` comments dropped, as
    Komodo's ``parse_string_list``); None is empty."""
    if value is None:
        return []
    if isinstance(value, str):
        lines = (line.split(" #", 1)[0] for line in value.split("\n") if not line.strip().startswith("#"))
        return [part.strip() for line in lines for part in line.split(",") if part.strip()]
    return value


def parse_environment(value: Any) -> Any:
    """``KEY=VALUE`` / ``KEY: VALUE`` text, array or table -> an ordered ``dict[str, str]``."""
    return parse_key_values(value)


StrList = Annotated[list[str], BeforeValidator(split_list)]
"""A list of strings given as an array or a comma/newline separated string."""

EnvMap = Annotated[dict[str, str], BeforeValidator(parse_environment)]
"""Environment variables given as ``KEY=VALUE`` text or an array, kept in order."""
