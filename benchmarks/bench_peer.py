"""fleetflow ``serve`` side by side with doco-cd (issue #21; measurement only, never in CI).

Both tools run one after the other on the test bed's daemon ``host1``, on one
generated repository (``STACKS`` = 10 stacks of the test bed's busybox image,
fleetflow's resource files and one ``.doco-cd.yml`` beside them) and the very
same commits: the history is built once and ``main`` is moved from commit to
commit with ``git update-ref``. Everything runs inside one network namespace
that has only loopback (``unshare --net``; the daemon is reached through its
unix socket), so doco-cd's start-up version check and every git fetch stay on
this machine; doco-cd reads the repository through ``git http-backend``,
fleetflow through its path.

Per tool: start with the default schedule, first deploy by push webhook, then
``FF_PEER_ROUNDS`` (default 5) webhook rounds (one stack changed, a signed
GitHub push, clock stopped when that stack's new container runs), idle CPU and
RSS over ``FF_PEER_IDLE_SECONDS`` (default 300, longer than both default poll
intervals), a restart with a 10 s poll, one untimed warm-up change, then the
same number of poll rounds, each committed at an evenly spread phase after the
previous deploy (1, 3, 5, 7, 9 s for 5 rounds, in a fixed order), so the median
is about interval / 2 + the tool's own time for both tools. Every new container
is checked for the committed command and label; precision and recall compare
the changed stacks with the containers recreated or restarted (all 10
snapshotted between rounds, after idle and one poll after the last round).
For fleetflow also: no-change ``fleetflow reconcile`` wall time (its default
local Prefect server kept between calls; the first call, which starts it, is
shown apart). The floor is ``docker compose up -d`` of the same kind of change,
measured just before each tool.

Run: ``python -m benchmarks.bench_peer [--markdown]`` (one side-by-side table)
or ``python -m benchmarks peer``. Knobs: ``FF_PEER_ROUNDS``,
``FF_PEER_IDLE_SECONDS``, ``FF_PEER_TOOLS`` (``fleetflow,doco-cd``), ``FF_PEER_JSON``
(a file for the raw measurements).
Needs ``scripts/build-doco-cd`` first. A full run takes about 17 minutes (985 s measured).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.peer_tools import DOCO_CD, DocoCd, FleetflowServe, Tool

ROOT = Path(__file__).resolve().parents[1]
STACKS = 10
PROJECTS = [f"peer{i:02d}" for i in range(STACKS)]
ROUNDS = int(os.environ.get("FF_PEER_ROUNDS", "5"))
IDLE_SECONDS = float(os.environ.get("FF_PEER_IDLE_SECONDS", "300"))
TOOLS = [t.strip() for t in os.environ.get("FF_PEER_TOOLS", "fleetflow,doco-cd").split(",") if t.strip()]
POLL_SECONDS = 10
RECONCILE_CALLS = 4  # the first starts the local Prefect server; the median is over the others
ROUND_TIMEOUT = 120.0
WARMUP_TIMEOUT = 240.0  # the first poll after a schedule change waits for Prefect's scheduler
RUN_TIMEOUT = 1800.0 + 2 * IDLE_SECONDS  # the whole run; the inner process gives up 2 minutes earlier
Row = dict[str, object]


def say(message: str) -> None:
    print(f"[bench_peer {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the generated repository
def _compose(image: str, revision: int) -> str:
    return (
        f"services:\n  app:\n    image: {image}\n    pull_policy: never\n    init: true\n"
        f"    command: [sleep, '{90000 + revision}']\n    labels: {{bench.rev: '{revision}'}}\n"
    )


@dataclass
class Change:
    sha: str
    project: str  # "" for the first commit (every stack at revision 0)
    revision: int


@dataclass
class History:
    """A bare repository holding every commit of the run; ``main`` moves along it."""

    bare: Path
    changes: list[Change]

    def advance(self, change: Change) -> None:
        subprocess.run(
            ["git", "--git-dir", str(self.bare), "update-ref", "refs/heads/main", change.sha],
            check=True, capture_output=True,
        )  # fmt: skip


def make_history(root: Path, docker_host: str, image: str, changes: int) -> History:
    from tests.support.fleet import fleet_files
    from tests.support.gitrepo import GitRemote

    remote = GitRemote.create(root)
    files = fleet_files({"h1": docker_host}, image, stacks=dict.fromkeys(PROJECTS, "h1"))
    files |= {f"stacks/{p}/compose.yaml": _compose(image, 0) for p in PROJECTS}
    files[".doco-cd.yml"] = "---\n".join(
        f"name: {p}\nworking_dir: stacks/{p}\nremove_orphans: true\n" for p in PROJECTS
    )
    history = [Change(remote.commit("fleet", files), "", 0)]
    for revision in range(1, changes + 1):
        project = PROJECTS[revision % STACKS]
        sha = remote.commit(
            f"{project} rev {revision}", {f"stacks/{project}/compose.yaml": _compose(image, revision)}
        )
        history.append(Change(sha, project, revision))
    bare = remote.bare
    subprocess.run(
        ["git", "--git-dir", str(bare), "update-ref", "refs/bench/plan", history[-1].sha], check=True
    )
    return History(bare, history)


def git_http_server(project_root: Path) -> ThreadingHTTPServer:
    """``git http-backend`` as CGI on 127.0.0.1 (doco-cd clones only http(s) or ssh URLs)."""

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
    threading.Thread(target=server.serve_forever, name="git-http", daemon=True).start()
    return server


# ---------------------------------------------------------------- what the daemon runs
Snapshot = dict[str, tuple[str, str]]  # project -> (container id, StartedAt)


class Daemon:
    def __init__(self, url: str) -> None:
        import docker

        self.client = docker.DockerClient(base_url=url, timeout=30)

    def running(self, project: str, revision: int) -> list[dict[str, Any]]:
        labels = [f"com.docker.compose.project={project}", f"bench.rev={revision}"]
        found: list[dict[str, Any]] = self.client.api.containers(
            filters={"label": labels, "status": "running"}
        )
        return found

    def verified(self, project: str, revision: int) -> bool:
        """The running container carries the committed command and label."""
        for summary in self.running(project, revision):
            config = self.client.api.inspect_container(summary["Id"])["Config"]
            if config["Cmd"][-2:] == ["sleep", str(90000 + revision)]:
                return True
        return False

    def snapshot(self) -> Snapshot:
        found: Snapshot = {}
        for summary in self.client.api.containers(
            all=True, filters={"label": "com.docker.compose.service=app"}
        ):
            project = summary["Labels"].get("com.docker.compose.project", "")
            if project in PROJECTS:
                state = self.client.api.inspect_container(summary["Id"])["State"]
                found[project] = (summary["Id"], state["StartedAt"] if state["Running"] else "stopped")
        return found


@dataclass
class Score:
    """Expected vs. actually recreated (or restarted) containers, summed over rounds."""

    hits: int = 0
    extra: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    verified: int = 0
    changes: int = 0

    def add(self, before: Snapshot, after: Snapshot, expected: set[str]) -> None:
        changed = {p for p in PROJECTS if before.get(p) != after.get(p)}
        self.hits += len(changed & expected)
        self.extra += sorted(changed - expected)
        self.missed += sorted(expected - changed)

    @property
    def precision(self) -> float:
        return self.hits / (self.hits + len(self.extra)) if self.hits + len(self.extra) else 1.0

    @property
    def recall(self) -> float:
        return self.hits / (self.hits + len(self.missed)) if self.hits + len(self.missed) else 1.0


def wait_for(what: str, seconds: float, check: Callable[[], bool], alive: Callable[[], None]) -> float:
    """Poll ``check`` (every 50 ms, bounded) until true; the seconds it took."""
    started = time.perf_counter()
    last_alive = started
    while not check():
        now = time.perf_counter()
        if now - started > seconds:
            raise TimeoutError(f"{what}: not within {seconds:.0f} s")
        if now - last_alive > 1.0:
            alive()
            last_alive = now
        time.sleep(0.05)
    return time.perf_counter() - started


def idle_cost(processes: dict[str, Any], seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    """CPU % of one core and RSS (MB) per named process over ``seconds``."""
    from benchmarks.bench_webhook import _cpu_seconds, _rss_mb

    before, started = {n: _cpu_seconds(p) for n, p in processes.items()}, time.perf_counter()
    time.sleep(seconds)  # the measurement window itself, not synchronisation
    elapsed = time.perf_counter() - started
    cpu = {n: 100 * (_cpu_seconds(p) - before[n]) / elapsed for n, p in processes.items()}
    return cpu, {n: _rss_mb(p) for n, p in processes.items()}


# ---------------------------------------------------------------- one tool, start to end
@dataclass
class Result:
    tool: str
    startup: float = 0.0
    first_deploy: float = 0.0
    first_pushes: int = 0
    webhook: list[float] = field(default_factory=list)
    poll: list[float] = field(default_factory=list)
    idle_cpu: dict[str, float] = field(default_factory=dict)
    idle_rss: dict[str, float] = field(default_factory=dict)
    score: Score = field(default_factory=Score)
    reconcile: list[float] = field(default_factory=list)
    reconcile_statuses: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # fleetflow: median seconds after the push
    poll_phases: dict[str, float] = field(default_factory=dict)  # the same after a commit, poll rounds
    floor: list[float] = field(default_factory=list)  # docker compose up -d, measured just before


def phases(rounds: int) -> list[float]:
    """Seconds from one deploy to the next commit: evenly spread over the poll interval, fixed order."""
    spread = [(i + 0.5) * POLL_SECONDS / rounds for i in range(rounds)]
    random.Random(21).shuffle(spread)
    return spread


def measure(tool: Tool, daemon: Daemon, history: History) -> Result:
    result = Result(tool.name)
    first, changes = history.changes[0], history.changes[1:]
    history.advance(first)
    started = time.perf_counter()
    tool.start(None)
    result.startup = time.perf_counter() - started
    say(f"{tool.name}: answering after {result.startup:.1f} s; first deploy of {STACKS} stacks by webhook")
    everything = lambda: all(daemon.running(p, 0) for p in PROJECTS)  # noqa: E731
    started = time.perf_counter()
    for attempt in (1, 2):  # a failed first deploy is pushed once more, and said in the table
        tool.push(first.sha)
        try:
            wait_for("first deploy", 90 * attempt, everything, tool.check)
            break
        except TimeoutError:
            if attempt == 2:
                raise
    result.first_deploy, result.first_pushes = time.perf_counter() - started, attempt
    time.sleep(2.0)  # the run's tail
    snap = daemon.snapshot()

    ran_at = 0.0
    pushes: list[tuple[float, str, float]] = []  # epoch of the push, stack, seconds to running

    def change(item: Change, *, push: bool, timeout: float) -> float:
        nonlocal snap, ran_at
        history.advance(item)
        started, epoch = time.perf_counter(), time.time()
        if push:
            tool.push(item.sha)
        wait_for(
            f"{tool.name}: {item.project} rev {item.revision}",
            timeout,
            lambda: bool(daemon.running(item.project, item.revision)),
            tool.check,
        )
        ran_at = time.perf_counter()
        took = ran_at - started
        pushes.append((epoch, item.project, took))
        result.score.changes += 1
        result.score.verified += daemon.verified(item.project, item.revision)
        time.sleep(2.0 if push else 0.5)  # let the run end before judging what else it touched
        after = daemon.snapshot()
        result.score.add(snap, after, {item.project})
        snap = after
        return took

    for item in changes[:ROUNDS]:
        result.webhook.append(change(item, push=True, timeout=ROUND_TIMEOUT))
    say(f"{tool.name}: webhook {', '.join(f'{s:.2f}' for s in result.webhook)} s; idle {IDLE_SECONDS:.0f} s")
    time.sleep(5.0)  # the last run's tail (logs, artifacts) is not idle time
    if isinstance(tool, FleetflowServe):
        result.phases = median_phases(
            [{**tool.phases(at, stack), "running": took} for at, stack, took in pushes[:ROUNDS]]
        )
    result.idle_cpu, result.idle_rss = idle_cost(tool.watched(), IDLE_SECONDS)
    after = daemon.snapshot()
    result.score.add(snap, after, set())
    snap = after
    say(f"{tool.name}: idle CPU {result.idle_cpu}; restarting with a {POLL_SECONDS} s poll")
    tool.stop()
    tool.start(POLL_SECONDS)
    change(changes[ROUNDS], push=False, timeout=WARMUP_TIMEOUT)
    for delay, item in zip(phases(ROUNDS), changes[ROUNDS + 1 :], strict=True):
        time.sleep(max(0.0, ran_at + delay - time.perf_counter()))  # the phase of this commit
        result.poll.append(change(item, push=False, timeout=ROUND_TIMEOUT))
    time.sleep(POLL_SECONDS + 2.0)  # one more poll with nothing new must touch nothing
    after = daemon.snapshot()
    result.score.add(snap, after, set())
    say(f"{tool.name}: poll {', '.join(f'{s:.2f}' for s in result.poll)} s")
    if isinstance(tool, FleetflowServe):
        result.poll_phases = median_phases(
            [{**tool.phases(at, stack), "running": took} for at, stack, took in pushes[ROUNDS + 1 :]]
        )
    tool.stop()
    if isinstance(tool, FleetflowServe):
        result.reconcile, result.reconcile_statuses = tool.reconcile(RECONCILE_CALLS)
        result.score.add(after, daemon.snapshot(), set())
        say(f"{tool.name}: no-change reconcile {', '.join(f'{s:.2f}' for s in result.reconcile)} s")
    return result


def median_phases(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Per mark, the median over the rounds that have it, in time order."""
    marks = {mark for marks in rounds for mark in marks}
    medians = {mark: statistics.median(r[mark] for r in rounds if mark in r) for mark in marks}
    return dict(sorted(medians.items(), key=lambda item: item[1]))


def inside(work: Path, docker_host: str, image: str) -> dict[str, Any]:
    """In the loopback-only namespace: build the history, measure the floor and each tool."""
    from benchmarks.bench_latency import _floor
    from tests.support.fleet import remove_projects

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    load = [os.getloadavg()[0]]
    history = make_history(work / "git", docker_host, image, 2 * ROUNDS + 1)
    git = git_http_server(history.bare.parent)
    git_url = f"http://127.0.0.1:{git.server_port}/{history.bare.name}"
    daemon = Daemon(docker_host)
    results = []
    try:
        for name in TOOLS:
            remove_projects(docker_host, PROJECTS)
            tool: Tool
            if name == "fleetflow":
                tool = FleetflowServe(work / "fleetflow", docker_host, str(history.bare))
            elif name == "doco-cd":
                tool = DocoCd(work / "doco-cd", docker_host, git_url)
            else:
                raise ValueError(f"FF_PEER_TOOLS: unknown tool {name!r} (fleetflow, doco-cd)")
            (work / f"floor-{name}").mkdir()
            floor = _floor(docker_host, work / f"floor-{name}", ROUNDS)  # under this tool's machine load
            say(f"floor before {name}: {', '.join(f'{s:.2f}' for s in floor)} s")
            try:
                results.append(measure(tool, daemon, history))
                results[-1].floor = floor
            finally:
                tool.close()
    finally:
        remove_projects(docker_host, PROJECTS)
        git.shutdown()
        daemon.client.close()
    load.append(os.getloadavg()[0])
    return {"results": [asdict(r) for r in results], "load": load}


# ---------------------------------------------------------------- the table
TableRow = tuple[str, str, str, str, str]  # what, fleetflow, doco-cd, ratio fleetflow / doco-cd, note


def _median(samples: list[float] | None) -> float | None:
    return statistics.median(samples) if samples else None


def _line(
    what: str, a: float | None, b: float | None, unit: str, note: str = "", digits: int = 2
) -> TableRow:
    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.{digits}f} {unit}"

    ratio = f"{a / b:.2f}x" if a is not None and b else "—"
    return (what, cell(a), cell(b), ratio, note)


def _samples(key: str, *results: dict[str, Any]) -> str:
    return "; ".join(f"{r['tool']} {', '.join(f'{s:.1f}' for s in r[key])}" for r in results if r.get(key))


def _score(label: str, results: dict[str, dict[str, Any]]) -> TableRow:
    cells, notes = [], []
    for tool in ("fleetflow", "doco-cd"):
        score = results.get(tool, {}).get("score")
        if not score:
            cells.append("—")
            continue
        hits, extra, missed = score["hits"], score["extra"], score["missed"]
        wrong = extra if label == "precision" else missed
        cells.append(f"{100 * hits / (hits + len(wrong)) if hits + len(wrong) else 100:.0f} %")
        if label == "precision":
            notes.append(
                f"{tool}: {hits} recreated as expected, others touched: {', '.join(extra) or 'none'}"
            )
        else:
            notes.append(
                f"{tool}: {hits} of {score['changes']} changes, {score['verified']} checked for the "
                f"committed command; missed: {', '.join(missed) or 'none'}"
            )
    return (f"{label} of recreated containers", cells[0], cells[1], "—", "; ".join(notes))


def table(data: dict[str, Any]) -> list[TableRow]:
    """The side-by-side rows of one run."""
    results = {r["tool"]: r for r in data["results"]}
    ff, dc = results.get("fleetflow", {}), results.get("doco-cd", {})
    floor = {t: _median(r.get("floor")) or 0.0 for t, r in results.items()}

    def beyond(key: str) -> str:
        own = [
            f"{r['tool']}: floor {m - floor[r['tool']]:+.2f} s"
            for r in (ff, dc)
            if (m := _median(r.get(key)))
        ]
        return f"{'; '.join(own)}; samples: {_samples(key, ff, dc)}"

    webhook, poll = f"median of {ROUNDS}", f"{POLL_SECONDS} s, median of {ROUNDS}"

    def run_marks(key: str, after: str) -> str:
        marks = ", ".join(f"{mark} {value:.1f}" for mark, value in (ff.get(key) or {}).items())
        return f"; fleetflow's runs, median s after the {after}: {marks}" if marks else ""

    f_cpu, d_cpu = ff.get("idle_cpu", {}), dc.get("idle_cpu", {})
    f_rss, d_rss = ff.get("idle_rss", {}), dc.get("idle_rss", {})
    server = "Prefect server"
    lands = ", ".join(f"{delay:g}" for delay in sorted(phases(ROUNDS)))
    spread = f"each commit lands {lands} s after the previous deploy; samples: {_samples('poll', ff, dc)}"
    schedules = "% of one core; serve polls every 300 s, checks health every 60 s; doco-cd polls every 180 s"
    reconcile = ff.get("reconcile") or [0.0]
    return [
        _line(f"push webhook → new container running ({webhook})", _median(ff.get("webhook")),
              _median(dc.get("webhook")), "s", f"{beyond('webhook')}{run_marks('phases', 'push')}"),
        _line(f"commit → running by polling ({poll})", _median(ff.get("poll")), _median(dc.get("poll")), "s",
              f"{spread}{run_marks('poll_phases', 'commit')}"),
        _line("floor: `docker compose up -d` of the same change", floor.get("fleetflow"),
              floor.get("doco-cd"), "s",
              f"median of {ROUNDS}, same daemon, measured just before each tool (machine load moves)"),
        _line(f"idle CPU at default schedules, {IDLE_SECONDS:.0f} s", f_cpu.get("fleetflow"),
              d_cpu.get("doco-cd"), "%", schedules),
        _line("idle CPU, fleetflow's Prefect server", f_cpu.get(server), None, "%",
              "Prefect on SQLite beside serve; doco-cd needs no server"),
        _line("idle RSS", f_rss.get("fleetflow"), d_rss.get("doco-cd"), "MB",
              "after the webhook rounds and the idle window", 0),
        _line("idle RSS, fleetflow's Prefect server", f_rss.get(server), None, "MB", "", 0),
        _score("precision", results),
        _score("recall", results),
        _line("no-change `fleetflow reconcile` wall time", _median(reconcile[1:]), None, "s",
              f"local Prefect server kept, median of {len(reconcile) - 1}; the first call, starting it: "
              f"{reconcile[0]:.1f} s; stacks by outcome: {ff.get('reconcile_statuses')}"),
        _line("start-up until it answers", ff.get("startup"), dc.get("startup"), "s",
              "fleetflow: serve, with its Prefect server already up"),
        _line(f"first deploy of {STACKS} stacks by webhook", ff.get("first_deploy"), dc.get("first_deploy"),
              "s", "; ".join(f"{r['tool']}: a second push" for r in (ff, dc) if r.get("first_pushes") == 2)),
    ]  # fmt: skip


# ---------------------------------------------------------------- entry points
def not_runnable() -> str:
    """Why this benchmark cannot run here ("" when it can)."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return "measurement only: never run in CI"
    if "doco-cd" in TOOLS and not os.access(DOCO_CD, os.X_OK):
        return f"doco-cd not built at {DOCO_CD}: run scripts/build-doco-cd (11 minutes, once)"
    return ""


def measure_all() -> dict[str, Any]:
    """Run the whole measurement in a fresh loopback-only network namespace."""
    from benchmarks.bench_deploy import _testbed

    if why := not_runnable():
        raise SystemExit(f"bench_peer: {why}")
    testbed = _testbed()
    docker_host, image = str(testbed["docker_hosts"]["host1"]), str(testbed["base_image"])  # type: ignore[index]
    with tempfile.TemporaryDirectory(prefix="ff-bench-peer-") as work:
        argv = ["unshare", "--net", "--", sys.executable, "-m", "benchmarks.bench_peer", "--inside", work]
        done = subprocess.run([*argv, docker_host, image], cwd=ROOT, timeout=RUN_TIMEOUT, check=False)
        result = Path(work) / "result.json"
        if done.returncode != 0 or not result.exists():
            tails = []
            for log in ("doco-cd/doco-cd.log", "fleetflow/serve.log"):
                path = Path(work) / log
                if path.exists():
                    tails.append(f"--- {log}:\n{path.read_text(errors='replace')[-3000:]}")
            raise RuntimeError(f"bench_peer failed (exit {done.returncode})\n" + "\n".join(tails))
        data: dict[str, Any] = json.loads(result.read_text())
    return data


def run() -> list[Row]:
    """Rows for ``python -m benchmarks``: both tools in the value column, the ratio in the note."""
    if why := not_runnable():
        return [{"benchmark": "fleetflow vs doco-cd", "value": "", "unit": "", "note": f"skipped: {why}"}]
    return [
        {"benchmark": what, "value": f"{a} | {b}", "unit": "fleetflow | doco-cd", "note": f"{ratio}; {note}"}
        for what, a, b, ratio, note in table(measure_all())
    ]  # fmt: skip


def _give_up_after(seconds: float) -> None:
    """Raise in this process on a deadline or SIGTERM, so ``finally`` stops the tools it started."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"bench_peer: stopped by signal {signum} (deadline {seconds:.0f} s)")

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.alarm(int(seconds))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--inside"]:
        work = Path(argv[1])
        _give_up_after(RUN_TIMEOUT - 120)
        (work / "result.json").write_text(json.dumps(inside(work, argv[2], argv[3])))
        return 0
    started = time.perf_counter()
    data = measure_all()
    if os.environ.get("FF_PEER_JSON"):
        Path(os.environ["FF_PEER_JSON"]).write_text(json.dumps(data, indent=1))
    headers = ("", "fleetflow serve", "doco-cd v0.110.1", "ratio", "note")
    load = "/".join(f"{x:.1f}" for x in data["load"])
    title = (
        f"fleetflow vs doco-cd, test bed host1, {STACKS} stacks, {time.strftime('%Y-%m-%d')}, "
        f"load {load} (start/end), run {time.perf_counter() - started:.0f} s"
    )
    if "--markdown" in argv:
        print(f"{title}\n\n| " + " | ".join(headers) + " |\n|" + "---|" * len(headers))
        for row in table(data):
            print("| " + " | ".join(row) + " |")
        return 0
    from rich.console import Console
    from rich.table import Table

    out = Table(*headers, title=title)
    for row in table(data):
        out.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 200).print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
