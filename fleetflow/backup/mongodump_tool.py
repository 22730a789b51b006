"""Run the real ``mongodump --gzip`` when it is installed; credentials go in a 0600 config file, not argv."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fleetflow.backup.kopia_models import BackupCommandFailed
from fleetflow.backup.redact import mask_url, scrub
from fleetflow.errors import BackupError

TIMEOUT_SECONDS = 3600.0


class DumpTool(StrEnum):
    """Which tool writes a dump: pymongo always works; mongodump when on PATH."""

    AUTO = "auto"
    PYMONGO = "pymongo"
    MONGODUMP = "mongodump"


def resolve_tool(tool: DumpTool) -> tuple[DumpTool, str | None]:
    """The tool to use and, for mongodump, its path; AUTO picks mongodump only if installed."""
    found = shutil.which("mongodump")
    if tool is DumpTool.MONGODUMP and found is None:
        raise BackupError("mongodump is not on PATH", hint="install MongoDB Database Tools or use pymongo")
    if tool is DumpTool.PYMONGO or found is None:
        return DumpTool.PYMONGO, None
    return DumpTool.MONGODUMP, found


def uri_for_tools(url: str) -> str:
    """``url`` without its path database, which mongodump refuses next to ``--db``.

    In a MongoDB URL the path database is also the default ``authSource``; it is kept
    as one when the URL carries credentials and names no ``authSource`` of its own.
    """
    parts = urlsplit(url)
    path_db = parts.path.lstrip("/")
    if not path_db:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    if "@" in parts.netloc and not any(k.lower() == "authsource" for k, _ in query):
        query.append(("authSource", path_db))
    return urlunsplit((parts.scheme, parts.netloc, "/", urlencode(query), parts.fragment))


def mongodump_argv(binary: str, config_file: Path, database: str, out_dir: Path) -> list[str]:
    """The command line: the URL (with any password) is only in ``config_file``."""
    return [binary, f"--config={config_file}", f"--db={database}", "--gzip", f"--out={out_dir}", "--quiet"]


def run_mongodump(binary: str, url: str, database: str, out_dir: Path) -> None:
    """Dump ``database`` into ``out_dir/<database>/`` with mongodump; BackupCommandFailed on failure."""
    with tempfile.TemporaryDirectory(prefix="ff-mongodump-") as private:
        config = Path(private) / "mongodump.yaml"
        config.touch(mode=0o600)
        config.write_text(
            f"uri: {json.dumps(uri_for_tools(url))}\n", encoding="utf-8"
        )  # JSON strings are YAML
        argv = mongodump_argv(binary, config, database, out_dir)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BackupError(f"mongodump of {database} on {mask_url(url)} timed out") from exc
    if done.returncode != 0:
        shown = ["mongodump", f"--db={database}", "--gzip", f"--out={out_dir}"]
        raise BackupCommandFailed(shown, done.returncode, mask_url(scrub(done.stderr, url)))
