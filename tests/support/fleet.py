"""A small fleet in a real git repository, and reading compose projects back from a daemon."""

from __future__ import annotations

import docker


def compose(command: str, image: str) -> str:
    return f"services:\n  app:\n    image: {image}\n    command: {command}\n    init: true\n"


def fleet_files(hosts: dict[str, str], image: str, *, stacks: dict[str, str] | None = None) -> dict[str, str]:
    """servers.toml (one server per test-bed daemon given), stacks.toml and compose files."""
    servers = "".join(
        f'[[server]]\nname = "{name}"\n[server.config]\naddress = "{url}"\n\n' for name, url in hosts.items()
    )
    stacks = stacks or {"alpha": "h1", "beta": "h2", "gamma": "h1"}
    entries, files = [], {}
    for name, server in stacks.items():
        after = 'after = ["alpha"]\n' if name == "gamma" else ""
        entries.append(
            f'[[stack]]\nname = "{name}"\ndeploy = true\n{after}[stack.config]\nserver = "{server}"\n'
            f'run_directory = "stacks/{name}"\nenvironment = "GREETING=hello {name}"\n'
        )
        files[f"stacks/{name}/compose.yaml"] = compose("sleep 3600", image)
    return {"syncs/servers.toml": servers, "syncs/stacks.toml": "\n".join(entries), **files}


def container_ids(url: str, project: str) -> dict[str, str]:
    """service -> container id of a compose project on one daemon."""
    client = docker.DockerClient(base_url=url)
    try:
        found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        return {c.labels["com.docker.compose.service"]: c.id for c in found}
    finally:
        client.close()


def remove_projects(url: str, projects: list[str]) -> None:
    client = docker.DockerClient(base_url=url)
    try:
        for project in projects:
            for c in client.containers.list(
                all=True, filters={"label": f"com.docker.compose.project={project}"}
            ):
                c.remove(force=True)
            for n in client.networks.list(filters={"label": f"com.docker.compose.project={project}"}):
                n.remove()
    finally:
        client.close()
