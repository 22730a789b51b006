"""A generated GitOps repo whose ground truth is known by construction, not by parsing compose files.

Every stack records, while its compose file is generated, which files and
directories it reads; the brute-force fingerprint hashes exactly those
contents plus the values of the variables it uses.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from fleetflow.changes import StackInputs, compose_inputs

UP = "../../../"


@dataclass
class Stack:
    name: str
    run_dir: str
    files: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)

    @property
    def compose(self) -> str:
        return f"{self.run_dir}/compose.yaml"


@dataclass
class FakeRepo:
    """Repo content as a dict, the stacks' ground truth and the variables' values."""

    files: dict[str, str]
    stacks: list[Stack]
    variables: dict[str, str]

    def fingerprint(self, stack: Stack) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            if path in stack.files or any(path.startswith(d + "/") for d in stack.dirs):
                digest.update(f"{path}\0{self.files[path]}\0".encode())
        for var in sorted(stack.variables):
            digest.update(f"{var}={self.variables.get(var)}\0".encode())
        return digest.hexdigest()

    def fingerprints(self) -> dict[str, str]:
        return {s.name: self.fingerprint(s) for s in self.stacks}

    def inputs(self, read: object = None) -> list[StackInputs]:
        """Input sets computed by the code under test, reading compose files from ``read``."""
        reader = read if callable(read) else (lambda p: self.files[p].encode() if p in self.files else None)
        return [
            compose_inputs(s.name, [s.compose], reader, run_directory=s.run_dir, variables=s.variables)
            for s in self.stacks
        ]

    def variable_hashes(self) -> dict[str, str]:
        return {k: hashlib.sha256(v.encode()).hexdigest() for k, v in self.variables.items()}

    def edit(self, rng: random.Random, serial: int) -> None:
        """One random edit: change, add or delete a file, or change a variable."""
        op = rng.choice(["change", "change", "add", "delete", "variable"])
        paths = sorted(self.files)
        if op == "variable":
            var = rng.choice(sorted(self.variables))
            self.variables[var] = f"value-{serial}"
        elif op == "add":
            base = rng.choice(sorted({p.rsplit("/", 1)[0] for p in paths if "/" in p} | {"docs"}))
            self.files[f"{base}/new{serial}.txt"] = f"new {serial}\n"
        elif op == "delete":
            fixed = {s.compose for s in self.stacks} | {"shared/base.yaml"}
            victims = [p for p in paths if p not in fixed]
            self.files.pop(rng.choice(victims))
        else:
            path = rng.choice(paths)
            self.files[path] += f"# edit {serial}\n"


def generate(seed: int, n_stacks: int = 30, hosts: int = 3) -> FakeRepo:
    """A repo of ``n_stacks`` stacks over ``hosts`` hosts with shared files and ``../`` references."""
    rng = random.Random(seed)
    files = {
        "README.md": "# fleet\n",
        "docs/guide.md": "guide\n",
        "shared/common.env": "TZ=UTC\n",
        "shared/base.yaml": "services:\n  base:\n    env_file: base.env\n",
        "shared/base.env": "BASE=1\n",
        "shared/certs/ca.pem": "ca\n",
        "shared/certs/host.pem": "host\n",
        "syncs/stacks.toml": "# toml\n",
    }
    for k in range(5):
        files[f"config/c{k}.conf"] = f"conf {k}\n"
        files[f"images/img{k}/Dockerfile"] = f"FROM scratch # {k}\n"
        files[f"images/img{k}/entry.sh"] = "echo\n"
    variables = {f"V{k}": f"v{k}" for k in range(8)}
    stacks: list[Stack] = []
    for i in range(n_stacks):
        stack = Stack(name=f"s{i}", run_dir=f"hosts/h{i % hosts}/s{i}")
        stack.dirs.add(stack.run_dir)
        service: list[str] = ["    image: fleetflow/busybox:latest"]
        top: list[str] = []
        envs = [f"{UP}shared/common.env"] if rng.random() < 0.5 else []
        if rng.random() < 0.3:
            envs.append("./host.env")
            files[f"{stack.run_dir}/host.env"] = f"HOST=h{i % hosts}\n"
        if envs:
            service.append("    env_file: [" + ", ".join(envs) + "]")
            stack.files |= {"shared/common.env"} if envs[0].startswith(UP) else set()
        if rng.random() < 0.4:
            k = rng.randrange(5)
            service.append(f"    build: {{context: {UP}images/img{k}, dockerfile: Dockerfile}}")
            stack.dirs.add(f"images/img{k}")
        volumes = ["data:/data"]
        if rng.random() < 0.4:
            k = rng.randrange(5)
            volumes.append(f"{UP}config/c{k}.conf:/etc/c.conf:ro")
            stack.files.add(f"config/c{k}.conf")
        if rng.random() < 0.3:
            volumes.append(f"{UP}shared/certs:/certs")
            stack.dirs.add("shared/certs")
        service.append("    volumes: [" + ", ".join(volumes) + "]")
        if rng.random() < 0.3:
            k = rng.randrange(5)
            top += ["configs:", "  cfg:", f"    file: {UP}config/c{k}.conf"]
            stack.files.add(f"config/c{k}.conf")
        if rng.random() < 0.3:
            service.append(f"    extends: {{file: {UP}shared/base.yaml, service: base}}")
            stack.files |= {"shared/base.yaml", "shared/base.env"}
        stack.variables = {f"V{k}" for k in rng.sample(range(8), rng.randrange(3))}
        files[stack.compose] = "\n".join(["services:", "  app:", *service, *top, "volumes: {data: {}}", ""])
        files[f"{stack.run_dir}/.env"] = f"PORT={8000 + i}\n"
        files[f"{stack.run_dir}/notes.txt"] = "notes\n"
        stacks.append(stack)
    return FakeRepo(files=files, stacks=stacks, variables=variables)
