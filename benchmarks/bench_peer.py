"""Peer benchmark (issue #21, measurement only, never in CI): doco-cd deploying a local git repository.

doco-cd (built by ``scripts/build-doco-cd``) runs with the git HTTP server it polls
inside one network namespace that has only loopback (``unshare --net`` + ``ip link
set lo up``), so its unconditional version check cannot leave the machine; it
deploys to the test bed's Docker daemon ``host1`` through its unix socket. The
repository is generated: STACKS stacks of the test bed's busybox image
(``pull_policy: never``; ``stop_signal: SIGKILL``, as ``sleep`` as PID 1 ignores
SIGTERM and would add Docker's 10 s stop timeout to every update), one
``.doco-cd.yml`` document per stack. Each push follows the previous deploy at
once, so it lands at the same phase of the poll cycle every time.

Measured: start-up to a healthy HTTP endpoint, the first deploy of every stack,
push -> new container running by a 10 s poll (median of PUSHES), idle RSS and CPU.
Run with ``python -m benchmarks peer`` (or ``python -m benchmarks.bench_peer``).
Measured here (2 cores, load ~6): start-up 0.35 s, first deploy of 5 stacks
4.8 s, push -> running 12.8 s (10 s interval counted from the previous job's
end), idle 103 MB RSS and 0.3 % of one core.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCO_CD = Path(os.environ.get("FF_DOCO_CD", ROOT / ".testbed" / "bin" / "doco-cd"))
TESTBED_JSON = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
STACKS, PUSHES, POLL_SECONDS = 5, 3, 10
HTTP_PORT, METRICS_PORT = 18080, 19120  # inside the private namespace: nothing else listens there
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@fleetflow.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@fleetflow.invalid",
}
Row = dict[str, object]


def _row(benchmark: str, value: object, unit: str, note: str = "") -> Row:
    return {"benchmark": benchmark, "value": value, "unit": unit, "note": note}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _wait(what: str, seconds: float, check: Callable[[], bool]) -> float:
    """Poll ``check`` until true (bounded); the seconds it took."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > seconds:
            raise TimeoutError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.1)
    return time.perf_counter() - started


# ---------------------------------------------------------------- the generated repository
def _compose(image: str, revision: int) -> str:
    return (
        f"services:\n  app:\n    image: {image}\n    pull_policy: never\n    stop_signal: SIGKILL\n"
        f"    command: [sleep, '86400']\n    labels: {{bench.rev: '{revision}'}}\n"
    )


def _make_repo(root: Path, prefix: str, image: str) -> tuple[Path, Path]:
    """A bare repository ``repo.git`` under ``root/git`` and a clone to push from."""
    bare, work = root / "git" / "repo.git", root / "work"
    bare.mkdir(parents=True)
    _git(bare, "init", "-q", "--bare", "-b", "main")
    _git(root, "clone", "-q", str(bare), str(work))
    _git(work, "checkout", "-q", "-b", "main")
    documents = []
    for i in range(STACKS):
        stack = work / "stacks" / f"s{i}"
        stack.mkdir(parents=True)
        (stack / "compose.yaml").write_text(_compose(image, 0))
        documents.append(f"name: {prefix}s{i}\nworking_dir: stacks/s{i}\nremove_orphans: true\n")
    (work / ".doco-cd.yml").write_text("---\n".join(documents))
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "stacks")
    _git(work, "push", "-q", "origin", "main")
    return bare, work


def _push_revision(work: Path, stack: int, revision: int, image: str) -> None:
    (work / "stacks" / f"s{stack}" / "compose.yaml").write_text(_compose(image, revision))
    _git(work, "commit", "-q", "-am", f"s{stack} rev {revision}")
    _git(work, "push", "-q", "origin", "main")


# ---------------------------------------------------------------- git over HTTP (git http-backend as CGI)
def _git_http_server(project_root: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _cgi(self) -> None:
            path, _, query = self.path.partition("?")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(project_root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_ADDR": "127.0.0.1",
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            headers = [line.split(": ", 1) for line in head.decode("latin-1").split("\r\n") if ": " in line]
            status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
            self.send_response(status)
            for key, value in headers:
                if key.lower() != "status":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._cgi()

        def do_POST(self) -> None:
            self._cgi()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------- inside the namespace
def _running(client: Any, project: str, revision: int) -> bool:
    labels = [f"com.docker.compose.project={project}", f"bench.rev={revision}"]
    return bool(client.containers.list(filters={"label": labels, "status": "running"}))


def _cleanup(client: Any, prefix: str) -> None:
    for container in client.containers.list(all=True, filters={"label": "com.docker.compose.project"}):
        if container.labels.get("com.docker.compose.project", "").startswith(prefix):
            container.remove(force=True)
    for network in client.networks.list():
        if network.name.startswith(prefix):
            network.remove()


def inside(work: Path, docker_host: str, image: str) -> list[Row]:
    """Run in the loopback-only namespace: serve the repository, run doco-cd, measure."""
    import docker
    import psutil

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    prefix = f"ffpeer{secrets.token_hex(3)}"
    bare, clone = _make_repo(work, prefix, image)
    server = _git_http_server(bare.parent)
    data = work / "data"
    data.mkdir()
    poll_file = work / "poll.yaml"
    poll_file.write_text(
        f"- url: http://127.0.0.1:{server.server_port}/repo.git\n"
        f"  reference: main\n  interval: {POLL_SECONDS}\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "HTTP_PORT": str(HTTP_PORT),
        "METRICS_PORT": str(METRICS_PORT),
        "WEBHOOK_SECRET": secrets.token_hex(16),
        "DOCKER_SWARM_FEATURES": "false",
        "DOCKER_HOST": docker_host,
        "DATA_MOUNT_PATH": str(data),
        "DATA_HOST_PATH": str(data),
        "POLL_CONFIG_FILE": str(poll_file),
    }
    client = docker.DockerClient(base_url=docker_host, timeout=30)
    log = (work / "doco-cd.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen([str(DOCO_CD)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    rows: list[Row] = []
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/v1/health", timeout=2) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        rows.append(_row("doco-cd start-up to healthy", round(_wait("health", 60, healthy), 2), "s"))
        first = _wait(
            "first deploy",
            300,
            lambda: all(_running(client, f"{prefix}s{i}", 0) for i in range(STACKS)),
        )
        rows.append(_row(f"first deploy of {STACKS} stacks (from start)", round(first, 2), "s"))
        samples = []
        for revision in range(1, PUSHES + 1):
            stack = revision % STACKS
            pushed = time.perf_counter()
            _push_revision(clone, stack, revision, image)
            project = f"{prefix}s{stack}"
            _wait(f"push {revision}", 120, partial(_running, client, project, revision))
            samples.append(time.perf_counter() - pushed)
        rows.append(
            _row(
                f"push -> new container running ({POLL_SECONDS} s poll)",
                round(statistics.median(samples), 2),
                "s",
                f"median of {PUSHES}: {', '.join(f'{s:.1f}' for s in samples)}",
            )
        )
        proc = psutil.Process(process.pid)
        proc.cpu_percent(None)
        time.sleep(2 * POLL_SECONDS)  # an idle window of two polls: a measurement, not synchronisation
        cpu = proc.cpu_percent(None)
        rows.append(_row("idle RSS", round(proc.memory_info().rss / 2**20, 1), "MB"))
        rows.append(_row(f"idle CPU over {2 * POLL_SECONDS} s", round(cpu, 1), "% of one core"))
        rows.append(
            _row("wall time (start -> last push deployed)", round(time.perf_counter() - started, 1), "s")
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()
        server.shutdown()
        _cleanup(client, prefix)
        client.close()
    return rows


# ---------------------------------------------------------------- entry points
def run() -> list[Row]:
    """Run the measurement in a fresh loopback-only network namespace; rows for the benchmark table."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return [_row("doco-cd", "", "", "measurement only: never run in CI")]
    if not os.access(DOCO_CD, os.X_OK):
        return [_row("doco-cd", "", "", f"not built at {DOCO_CD}: run scripts/build-doco-cd")]
    testbed = json.loads(TESTBED_JSON.read_text())
    docker_host, image = testbed["docker_hosts"]["host1"], testbed["base_image"]
    with tempfile.TemporaryDirectory(prefix="ff-bench-peer-") as work:
        argv = ["unshare", "--net", "--", sys.executable, "-m", "benchmarks.bench_peer", "--inside", work]
        done = subprocess.run(
            [*argv, docker_host, image], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
        )
        if done.returncode != 0:
            log = Path(work) / "doco-cd.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"bench_peer failed: {done.stderr[-2000:]}\ndoco-cd log tail:\n{tail}")
    rows: list[Row] = json.loads(done.stdout)
    return rows


def main(argv: list[str]) -> int:
    if argv[:1] == ["--inside"]:
        print(json.dumps(inside(Path(argv[1]), argv[2], argv[3])))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="doco-cd (peer), loopback-only namespace, test bed host1")
    for column in ("benchmark", "value", "unit", "note"):
        table.add_column(column)
    for row in run():
        table.add_row(*(str(row.get(c, "")) for c in ("benchmark", "value", "unit", "note")))
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
