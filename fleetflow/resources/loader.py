"""Read resource files (``resource_path`` entries) into one ``Resources``, collecting every problem.

Parse errors, bad values, unknown fields and duplicates are all gathered in
one pass, each with file, line and field; nothing raises until
``LoadResult.raise_for_errors``.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError

from fleetflow.errors import Location, ResourceError, ResourceErrors
from fleetflow.limits import LimitExceeded, load_toml
from fleetflow.paths import PathEscape
from fleetflow.resources.entries import CONFIG_OF, MODEL_OF, EntryLines, Kind, Resources
from fleetflow.resources.keyvalue import LINE_ERROR, LINE_KEY
from fleetflow.resources.locate import scan_lines
from fleetflow.resources.sources import FileSource, WorkTreeSource, normalize

# Komodo resource kinds fleetflow reads past without managing them (one warning per kind).
KOMODO_ONLY_KINDS = frozenset(
    {"deployment", "build", "builder", "procedure", "action", "alerter", "server_template", "user_group"}
    | {"swarm"}
)
# Komodo accepts each table under its plural name too (``[[stacks]]``).
PLURALS = {f"{kind}s": kind for kind in {*KOMODO_ONLY_KINDS, *(k.value for k in Kind)}}
_ENTRY_NAME = re.compile(r"""^\s*name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_]+)\s*\]\]")
_TRIPLE_AT_END = re.compile(r"(\"{3}|'{3})\s*$")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


@dataclass(frozen=True)
class Notice:
    """A warning about the resource files: what, where, and what to do."""

    message: str
    location: Location
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" + (f" {self.hint}" if self.hint else "")


@dataclass
class LoadResult:
    """The merged resources plus every error and warning found while reading them."""

    resources: Resources
    source: FileSource
    files: list[str] = field(default_factory=list)
    errors: list[ResourceError] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    broken: set[tuple[Kind, str]] = field(default_factory=set)
    """Entries that failed to load (by kind and name), so checks do not report them missing."""
    unparsed: list[str] = field(default_factory=list)
    """Files that are not valid TOML: names they define are unknown, not missing."""
    unmanaged: dict[str, str] = field(default_factory=dict)
    """Komodo resources fleetflow does not manage: name -> kind (``after`` may name them)."""
    unknown_fields: list[Notice] = field(default_factory=list)
    """Unknown-field warnings: when there are errors, shown first as their likely cause."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``ResourceErrors`` holding every error, if there is any."""
        if self.errors:
            raise ResourceErrors(self.errors, warnings=self.warnings)


@functools.cache
def accepted_keys(model: type[BaseModel]) -> frozenset[str]:
    """Field names and their aliases a model accepts."""
    keys = set(model.model_fields)
    for info in model.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            keys.update(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            keys.add(alias)
    return frozenset(keys)


def did_you_mean(word: str, candidates: Sequence[str] | set[str] | frozenset[str]) -> str:
    """`` Did you mean `x`?`` for the closest candidate, or an empty string."""
    same = [c for c in candidates if c.lower() == word.lower() and c != word]
    if same:  # only the case differs ("Studio" for "studio")
        return f"did you mean `{sorted(same)[0]}`?"
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


def sentence(text: str) -> str:
    """Text ending in punctuation (messages and hints are joined with a space)."""
    text = text.strip()
    if not text:
        return text
    if not {"_", "."} & set(text.split()[0]):  # keep field names such as run_directory as written
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else f"{text}."


_HINTS = {
    "bool_parsing": "use true or false",
    "bool_type": "use true or false",
    "string_type": "quote the value",
    "missing": "add this field",
    "list_type": "use an array or a comma-separated string",
    "float_parsing": "use a number",
    "int_parsing": "use a whole number",
    "dict_type": "use a table",
}


class _Loader:
    def __init__(self, source: FileSource) -> None:
        self.result = LoadResult(Resources(), source)
        self.text: list[str] = []
        self.skipped: dict[str, list[Location]] = {}

    def error(self, message: str, location: Location, hint: str = "") -> None:
        self.result.errors.append(ResourceError(sentence(message), location, hint=sentence(hint)))

    def warn(self, message: str, location: Location, hint: str = "") -> None:
        self.result.warnings.append(Notice(sentence(message), location, sentence(hint)))

    def collect_files(self, resource_paths: Sequence[str]) -> list[str]:
        source, files = self.result.source, list[str]()
        for raw in resource_paths or [""]:
            clean = normalize(raw)
            real = source.resolve(raw) if clean is not None else None
            if clean is None or real is None:
                self.error(
                    f"resource_path {raw!r} leaves the repository",
                    Location(raw, None, "resource_path"),
                    "use a path relative to the repository root, without `..` or symlinks out",
                )
                continue
            if not source.exists(real):
                self.error(
                    f"resource_path {raw!r} does not exist",
                    Location(raw, None, "resource_path"),
                    "check the path in resourcesync.toml (relative to the repository root)",
                )
                continue
            if source.is_dir(real):
                found = [f for f in source.list_files(real) if f.endswith(".toml")]
                if not found:
                    self.error(
                        f"resource_path {raw!r} holds no resource file (*.toml)",
                        Location(raw, None, "resource_path"),
                        "point it at the folder or file with your [[stack]] / [[server]] entries",
                    )
                files.extend(found)
            else:
                files.append(real)
        return list(dict.fromkeys(files))

    def load_file(self, file: str) -> None:
        try:
            text = self.result.source.read_text(file)
        except (OSError, UnicodeDecodeError, PathEscape) as exc:
            self.error(f"cannot read file ({type(exc).__name__})", Location(file), "is it UTF-8 text?")
            return
        text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as Komodo's TOML reader allows
        try:
            doc = load_toml(text, f"resource file {file}")
        except LimitExceeded as exc:
            self.error(str(exc), Location(file), "split the file or flatten the nesting")
            return
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            at = _TOML_AT.search(message)
            line = int(at.group(1)) if at else None
            self.error(
                f"invalid TOML: {_TOML_AT.sub('', message)}",
                Location(file, line),
                "fix the syntax; the names this file defines are unknown until it parses",
            )
            self.result.unparsed.append(file)
            self.recover_names(text)
            return
        self.text = text.splitlines()
        lines = scan_lines(text, file)
        for key, value in doc.items():
            self.load_table(file, key, value, lines.get(key, []))

    def recover_names(self, text: str) -> None:
        """Names an unparsable file would define, read line by line, so none is reported missing."""
        kind: str | None = None
        kinds = {k.value for k in Kind}
        for line in text.splitlines():
            header = _HEADER.match(line)
            if header:
                kind = PLURALS.get(header.group(1), header.group(1))
                continue
            named = _ENTRY_NAME.match(line)
            if named and kind is not None:
                name = named.group(1) if named.group(1) is not None else named.group(2)
                if kind in KOMODO_ONLY_KINDS:
                    self.result.unmanaged.setdefault(name, kind)
                elif kind in kinds:
                    self.result.broken.add((Kind(kind), name))
                kind = None

    def finish(self) -> None:
        """One warning per unmanaged Komodo kind, with its count and first place."""
        for key, places in sorted(self.skipped.items()):
            count = len(places)
            entries = "entry" if count == 1 else "entries"
            self.warn(
                f"{count} [[{key}]] {entries} ignored: Komodo resources fleetflow does not manage",
                places[0],
                "manage them in Komodo, or keep them out of the files fleetflow reads",
            )

    def load_table(self, file: str, key: str, value: Any, lines: list[EntryLines]) -> None:
        where = lines[0].locate() if lines else Location(file)
        key = PLURALS.get(key, key)
        if key in KOMODO_ONLY_KINDS:
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                place = lines[index].locate() if index < len(lines) else where
                self.skipped.setdefault(key, []).append(place)
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    self.result.unmanaged.setdefault(item["name"], key)
            return
        try:
            kind = Kind(key)
        except ValueError:
            self.warn(f"unknown table `{key}`; ignored", where, did_you_mean(key, [k.value for k in Kind]))
            return
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error(f"`{key}` must be an array of tables", where, f"write each entry as [[{key}]]")
            return
        for index, raw in enumerate(value):
            entry_lines = lines[index] if index < len(lines) else EntryLines(file, None)
            self.load_entry(kind, raw, entry_lines)

    def _drop_unknown(
        self, raw: dict[str, Any], model: type[BaseModel], lines: EntryLines, prefix: str, what: str
    ) -> dict[str, Any]:
        allowed = accepted_keys(model)
        for key in [k for k in raw if k not in allowed]:
            self.warn(
                f"unknown field `{prefix}{key}` in {what}; ignored",
                lines.locate(prefix + key),
                did_you_mean(key, allowed),
            )
            self.result.unknown_fields.append(self.result.warnings[-1])
            del raw[key]
        return raw

    def string_line(self, opening: int, n: int) -> int:
        """The file line of line ``n`` of a string value whose key is on line ``opening``."""
        if opening > len(self.text):
            return opening
        # TOML drops the newline right after an opening triple quote
        starts_next_line = _TRIPLE_AT_END.search(self.text[opening - 1]) is not None
        return opening + n - (0 if starts_next_line else 1)

    def inner_line(self, where: Location, message: str) -> Location:
        """For an error on line N of a multi-line string value, the file line of that line."""
        at = LINE_ERROR.search(message)
        if at is None or where.line is None:
            return where
        return replace(where, line=self.string_line(where.line, int(at.group(1))))

    def locate_environment(self, raw: dict[str, Any], lines: EntryLines) -> None:
        """Record the line of each key of a multi-line ``environment``, so errors point at it."""
        config = raw.get("config")
        env = config.get("environment") if isinstance(config, dict) else None
        opening = lines.fields.get("config.environment")
        if not isinstance(env, str) or "\n" not in env or opening is None:
            return
        first = self.string_line(opening, 1)
        for n, line in enumerate(env.split("\n")):
            key = LINE_KEY.match(line)
            if key:
                lines.fields[f"config.environment.{key.group(1)}"] = first + n

    def load_entry(self, kind: Kind, raw: dict[str, Any], lines: EntryLines) -> None:
        model = MODEL_OF[kind]
        name = raw.get("name")
        what = f"{kind.value} {name!r}" if isinstance(name, str) else f"[[{kind.value}]]"
        raw = self._drop_unknown(dict(raw), model, lines, "", what)
        config_type = CONFIG_OF.get(kind)
        if isinstance(raw.get("config"), dict) and config_type is not None:
            raw["config"] = self._drop_unknown(dict(raw["config"]), config_type, lines, "config.", what)
        try:
            entry = model.model_validate(raw)
        except ValidationError as exc:
            if isinstance(name, str):
                self.result.broken.add((kind, name))
            located = []
            for err in exc.errors(include_input=False, include_url=False):
                path = ".".join(str(p) for p in err["loc"])
                message = f"{what}: {err['msg'].removeprefix('Value error, ')}"
                where = self.inner_line(lines.locate(path or None), message)
                located.append((where, message, _HINTS.get(err["type"], "")))
            for where, message, hint in sorted(located, key=lambda item: item[0].line or 0):
                self.error(message, where, hint)
            return
        assert isinstance(name, str)
        seen = self.result.resources.lines.get((kind, name))
        if seen is not None:
            self.error(
                f"duplicate {kind.value} {name!r}: also defined at {seen.locate()}",
                lines.locate("name"),
                "names must be unique per kind; rename or remove one",
            )
            return
        self.result.resources.add(kind, name, entry)
        self.result.resources.lines[(kind, name)] = lines
        if kind is Kind.STACK:
            self.locate_environment(raw, lines)


def load_resources(root: Path | FileSource, resource_paths: Sequence[str] = ("",)) -> LoadResult:
    """Read every ``.toml`` file under ``resource_paths`` (files or folders) of a repository."""
    source: FileSource = WorkTreeSource(root) if isinstance(root, Path) else root
    loader = _Loader(source)
    files = loader.collect_files(resource_paths)
    loader.result.files = files
    for file in files:
        loader.load_file(file)
    loader.finish()
    return loader.result
