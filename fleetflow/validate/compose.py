"""Offline checks of one stack's compose files: syntax, Compose spec, interpolation, references.

Each file is parsed and schema-checked once per run (``ParseCache``; stacks
sharing a compose file share the work), then interpolated with the stack's
environment; files pulled in by ``include`` join the stack. The reference
checks are in :mod:`fleetflow.validate.references`.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetflow.changes.inputs import repo_path
from fleetflow.resources.sources import FileSource
from fleetflow.validate.composefile import ComposeFile, ParseCache
from fleetflow.validate.facts import StackFacts
from fleetflow.validate.findings import Finding, Severity
from fleetflow.validate.interpolation import render_data
from fleetflow.validate.references import ReferenceChecks
from fleetflow.validate.schema import dotted
from fleetflow.validate.stackinput import INLINE, StackInput

__all__ = ["ParseCache", "StackChecker", "check_stack"]


class StackChecker(ReferenceChecks):
    """Runs the checks of one stack and collects findings and facts."""

    def __init__(self, stack: StackInput, source: FileSource, cache: ParseCache) -> None:
        self.si, self.source, self.cache = stack, source, cache
        self.findings: list[Finding] = []
        self.facts = StackFacts(stack.name, stack.server, stack.project)

    def add(
        self, check: str, severity: Severity, message: str, file: str, line: int | None, hint: str = ""
    ) -> None:
        self.findings.append(
            Finding(check, severity, message, self.si.name, self.si.server, file, line, hint)
        )

    def run(self) -> tuple[list[Finding], StackFacts]:
        for missing in self.si.missing_env_files:
            self.add(
                "env_file",
                Severity.ERROR,
                f"additional env file {missing!r} of stack {self.si.name!r} does not exist in "
                f"{self.si.run_dir or 'the repository root'}",
                "",
                None,
                "Commit it or remove it from additional_env_files.",
            )
        files = [f for f in (self.load(p) for p in self.si.files) if f is not None]
        files += self.included(files)
        if files:
            self.references(files)
        return self.findings, self.facts

    def included(self, files: list[ComposeFile], limit: int = 32) -> list[ComposeFile]:
        """Files pulled in by top-level ``include`` (their services, networks and volumes join)."""
        seen = {f.path for f in files}
        queue, out = list(files), []
        while queue and len(seen) < limit:
            f = queue.pop(0)
            entries = f.data.get("include")
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                refs = entry.get("path") if isinstance(entry, Mapping) else entry
                for ref in refs if isinstance(refs, list) else [refs]:
                    if not isinstance(ref, str):
                        continue
                    target = repo_path(f.base, ref)
                    if target is None or target in seen:
                        continue
                    seen.add(target)
                    if not self.source.exists(target):
                        self.file_ref(f, ref, ("include", i), "include", "included file", "the compose file")
                        continue
                    loaded = self.load(target)
                    if loaded is not None:
                        out.append(loaded)
                        queue.append(loaded)
        return out

    def load(self, path: str) -> ComposeFile | None:
        if self.si.inline is not None and path == self.si.files[0]:
            text, shown = self.si.inline, f"{self.si.name}:{INLINE}"
        else:
            try:
                text, shown = self.source.read_text(path), path
            except (OSError, UnicodeDecodeError) as exc:
                self.add(
                    "compose.yaml", Severity.ERROR, f"cannot read {path} ({type(exc).__name__})", path, None
                )
                return None
        parsed = self.cache.get(shown, text)
        if parsed.error is not None or parsed.doc is None:
            message = str(parsed.error) if parsed.error else "invalid YAML"
            line = parsed.error.line if parsed.error else None
            self.add("compose.yaml", Severity.ERROR, message, shown, line, "Fix the YAML syntax.")
            return None
        doc = parsed.doc
        for spec_path, message in parsed.spec:
            self.add(
                "compose.spec",
                Severity.ERROR,
                message,
                shown,
                doc.line_of(spec_path),
                "See the Compose specification.",
            )
        if not isinstance(doc.data, dict):
            return None
        data, uses = render_data(doc.data, self.si.env)
        for use_path, use in uses:
            line = doc.line_of(use_path)
            if use.kind == "required":
                detail = f": {use.message}" if use.message else ""
                self.add(
                    "interpolation",
                    Severity.ERROR,
                    f"required variable {use.name} is not set{detail} (at {dotted(use_path)})",
                    shown,
                    line,
                    f"Set {use.name} in the stack's environment or an env file.",
                )
            else:
                self.add(
                    "interpolation",
                    Severity.WARNING,
                    f"variable {use.name} is not set and has no default; compose substitutes an empty "
                    f"string (at {dotted(use_path)})",
                    shown,
                    line,
                    f"Set {use.name} in the stack's environment, or write ${{{use.name}:-default}}.",
                )
        return ComposeFile(path, shown, doc, data)

    def exists(self, path: str) -> bool:
        return path in self.si.written or self.source.exists(path)


def check_stack(stack: StackInput, source: FileSource, cache: ParseCache) -> tuple[list[Finding], StackFacts]:
    """Findings and host-visible facts of one stack's compose files."""
    return StackChecker(stack, source, cache).run()
