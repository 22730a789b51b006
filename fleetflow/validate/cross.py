"""Checks across the stacks of one server: host ports, container names, compose project names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from fleetflow.validate.facts import StackFacts
from fleetflow.validate.findings import Finding, Severity


def _by_server(facts: Iterable[StackFacts]) -> dict[str, list[StackFacts]]:
    servers: dict[str, list[StackFacts]] = defaultdict(list)
    for f in facts:
        servers[f.server].append(f)
    return servers


def cross_stack(facts: Iterable[StackFacts]) -> Iterator[Finding]:
    """One error per stack involved in each clash on a server."""
    for server, stacks in sorted(_by_server(facts).items()):
        yield from _ports(server, stacks)
        yield from _container_names(server, stacks)
        yield from _projects(server, stacks)


def _ports(server: str, stacks: list[StackFacts]) -> Iterator[Finding]:
    seen: dict[tuple[int, str], list[tuple[StackFacts, int]]] = defaultdict(list)
    reported: set[tuple[str, str, int, str]] = set()
    for s in stacks:
        for i, p in enumerate(s.ports):
            for other, j in seen[(p.port, p.proto)]:
                q = other.ports[j]
                if other.stack == s.stack or not p.overlaps(q):
                    continue
                for mine, theirs, a, b in ((s, other, p, q), (other, s, q, p)):
                    key = (mine.stack, theirs.stack, a.port, a.proto)
                    if key in reported:
                        continue
                    reported.add(key)
                    yield Finding(
                        "ports",
                        Severity.ERROR,
                        f"stack {mine.stack!r} (service {a.at.value!r}) publishes host port {a} on server "
                        f"{server!r}, as does stack {theirs.stack!r} (service {b.at.value!r}, "
                        f"{b.at.file}:{b.at.line})",
                        mine.stack,
                        server,
                        a.at.file,
                        a.at.line,
                        "Publish a different host port in one of them.",
                    )
            seen[(p.port, p.proto)].append((s, i))


def _container_names(server: str, stacks: list[StackFacts]) -> Iterator[Finding]:
    owners: dict[str, list[tuple[str, str, int | None]]] = defaultdict(list)
    for s in stacks:
        for at in s.container_names:
            owners[at.value].append((s.stack, at.file, at.line))
    for name, uses in sorted(owners.items()):
        stacks_using = sorted({u[0] for u in uses})
        if len(stacks_using) < 2:
            continue
        for stack, file, line in uses:
            others = ", ".join(repr(o) for o in stacks_using if o != stack)
            yield Finding(
                "container_name",
                Severity.ERROR,
                f"stack {stack!r} names a container {name!r} on server {server!r}, as does stack {others}",
                stack,
                server,
                file,
                line,
                "Container names are unique per host: rename one, or drop container_name.",
            )


def _projects(server: str, stacks: list[StackFacts]) -> Iterator[Finding]:
    owners: dict[str, list[str]] = defaultdict(list)
    for s in stacks:
        owners[s.project].append(s.stack)
    for project, names in sorted(owners.items()):
        if len(names) < 2:
            continue
        for stack in names:
            others = ", ".join(repr(o) for o in names if o != stack)
            yield Finding(
                "project_name",
                Severity.ERROR,
                f"stack {stack!r} runs as compose project {project!r} on server {server!r}, as does stack "
                f"{others}; one would replace the other's containers",
                stack,
                server,
                hint="Set a distinct project_name.",
            )
