"""Deploy order from ``after``: cycles named, then topological rounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def find_cycles(after: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each cycle once, as ``[a, b, ..., a]`` starting at its smallest name; unknown names skipped."""
    state: dict[str, int] = {}  # 1 = on the DFS path, 2 = done
    cycles: dict[tuple[str, ...], list[str]] = {}
    for start in sorted(after):
        if state.get(start):
            continue
        path: list[str] = [start]
        iters = [iter(sorted(d for d in after[start] if d in after))]
        state[start] = 1
        while iters:
            dep = next(iters[-1], None)
            if dep is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(dep) == 1:
                loop = path[path.index(dep) :]
                first = loop.index(min(loop))
                canon = loop[first:] + loop[:first]
                cycles.setdefault(tuple(canon), [*canon, canon[0]])
            elif not state.get(dep):
                state[dep] = 1
                path.append(dep)
                iters.append(iter(sorted(d for d in after[dep] if d in after)))
    return [cycles[key] for key in sorted(cycles)]


def deploy_rounds(after: Mapping[str, Sequence[str]], selected: Iterable[str]) -> list[list[str]]:
    """Group ``selected`` names into rounds: a name comes after every selected name it depends on,
    directly or through names that are not selected. Raises ``ValueError`` on a cycle."""
    chosen = set(selected)
    indegree = {name: 0 for name in after}
    children: dict[str, list[str]] = {name: [] for name in after}
    for name, deps in after.items():
        for dep in set(deps):
            if dep in after:
                indegree[name] += 1
                children[dep].append(name)
    ready = sorted(n for n, d in indegree.items() if d == 0)
    level: dict[str, int] = {}
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for child in children[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if len(order) != len(after):
        cycle = find_cycles(after)
        raise ValueError(f"`after` forms a cycle: {' -> '.join(cycle[0]) if cycle else '?'}")
    for name in order:
        deps = [d for d in after[name] if d in after]
        level[name] = max((level[d] + 1 if d in chosen else level[d] for d in deps), default=0)
    rounds: dict[int, list[str]] = {}
    for name in chosen & set(after):
        rounds.setdefault(level[name], []).append(name)
    return [sorted(rounds[k]) for k in sorted(rounds)]
