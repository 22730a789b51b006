"""Resource entries (the ``[[kind]]`` tables) and the merged set of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fleetflow.errors import Location
from fleetflow.resources.fields import StrList
from fleetflow.resources.names import check_project, check_stack_name
from fleetflow.resources.server import ServerConfig
from fleetflow.resources.stack import StackConfig
from fleetflow.resources.sync import RepoConfig, ResourceSyncConfig

C = TypeVar("C", bound=BaseModel)

VARIABLE_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"
"""Variable names as Komodo resource files use them: letters, digits, ``_``, ``.`` and ``-``."""


class Kind(StrEnum):
    """Resource kinds, named as their TOML table; the order is the plan's order."""

    SERVER = "server"
    REPO = "repo"
    VARIABLE = "variable"
    STACK = "stack"
    RESOURCE_SYNC = "resource_sync"


KIND_ORDER = {kind: i for i, kind in enumerate(Kind)}


class Entry(BaseModel, Generic[C]):
    """Fields every ``[[kind]]`` entry has, around its ``config`` table."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    description: str = ""
    tags: StrList = Field(default_factory=list)
    template: bool = False
    deploy: bool = False
    after: StrList = Field(default_factory=list)
    config: C

    @property
    def held(self) -> bool:
        """``deploy = false`` written explicitly: the config is applied, the stack never deployed."""
        return "deploy" in self.model_fields_set and not self.deploy


class Server(Entry[ServerConfig]):
    """A ``[[server]]`` entry."""

    config: ServerConfig = Field(default_factory=ServerConfig)


class Stack(Entry[StackConfig]):
    """A ``[[stack]]`` entry: its name is its directory on the host, its project a compose name."""

    config: StackConfig = Field(default_factory=StackConfig)

    @field_validator("name")
    @classmethod
    def _host_directory(cls, name: str) -> str:
        return check_stack_name(name)

    @model_validator(mode="after")
    def _compose_project(self) -> Stack:
        check_project(self.name, self.config.project_name)
        return self

    @property
    def project(self) -> str:
        """The compose project name: ``project_name``, else the stack name."""
        return self.config.project_name or self.name


class ResourceSync(Entry[ResourceSyncConfig]):
    """A ``[[resource_sync]]`` entry."""

    config: ResourceSyncConfig = Field(default_factory=ResourceSyncConfig)


class Repo(Entry[RepoConfig]):
    """A ``[[repo]]`` entry."""

    config: RepoConfig = Field(default_factory=RepoConfig)


class VariableEntry(BaseModel):
    """A ``[[variable]]``: referenced as ``[[name]]``; ``is_secret`` masks it everywhere."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, pattern=VARIABLE_NAME)
    description: str = ""
    value: str = ""
    is_secret: bool = False
    tags: StrList = Field(default_factory=list)


Variable = VariableEntry
AnyEntry = Server | Stack | ResourceSync | Repo | VariableEntry

MODEL_OF: dict[Kind, type[BaseModel]] = {
    Kind.SERVER: Server,
    Kind.REPO: Repo,
    Kind.VARIABLE: VariableEntry,
    Kind.STACK: Stack,
    Kind.RESOURCE_SYNC: ResourceSync,
}

CONFIG_OF: dict[Kind, type[BaseModel]] = {
    Kind.SERVER: ServerConfig,
    Kind.REPO: RepoConfig,
    Kind.STACK: StackConfig,
    Kind.RESOURCE_SYNC: ResourceSyncConfig,
}


@dataclass(frozen=True)
class EntryLines:
    """Where an entry and each of its keys are: file, ``[[kind]]`` line, dotted field -> line."""

    file: str
    line: int | None
    fields: dict[str, int] = field(default_factory=dict)

    def locate(self, field_path: str | None = None) -> Location:
        """The best location for a dotted field: its own line, a parent's, else the entry's."""
        if field_path:
            parts = field_path.split(".")
            for end in range(len(parts), 0, -1):
                line = self.fields.get(".".join(parts[:end]))
                if line is not None:
                    return Location(self.file, line, field_path)
        return Location(self.file, self.line, field_path)


@dataclass
class Resources:
    """Every entry of the resource files, by kind and name, with where each came from."""

    servers: dict[str, Server] = field(default_factory=dict)
    stacks: dict[str, Stack] = field(default_factory=dict)
    syncs: dict[str, ResourceSync] = field(default_factory=dict)
    variables: dict[str, VariableEntry] = field(default_factory=dict)
    repos: dict[str, Repo] = field(default_factory=dict)
    lines: dict[tuple[Kind, str], EntryLines] = field(default_factory=dict)

    def of(self, kind: Kind) -> Mapping[str, BaseModel]:
        """The entries of one kind, by name."""
        table: dict[Kind, Mapping[str, BaseModel]] = {
            Kind.SERVER: self.servers,
            Kind.REPO: self.repos,
            Kind.VARIABLE: self.variables,
            Kind.STACK: self.stacks,
            Kind.RESOURCE_SYNC: self.syncs,
        }
        return table[kind]

    def add(self, kind: Kind, name: str, entry: BaseModel) -> None:
        """Store an entry under its kind (the loader checks duplicates first)."""
        table: dict[Kind, dict[str, Any]] = {
            Kind.SERVER: self.servers,
            Kind.REPO: self.repos,
            Kind.VARIABLE: self.variables,
            Kind.STACK: self.stacks,
            Kind.RESOURCE_SYNC: self.syncs,
        }
        table[kind][name] = entry

    def where(self, kind: Kind, name: str, field_path: str | None = None) -> Location:
        """Location of an entry (or one of its fields) for error messages."""
        lines = self.lines.get((kind, name))
        if lines is None:
            return Location("<unknown>", None, field_path)
        return lines.locate(field_path)
