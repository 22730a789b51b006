"""Find a dump's database folder and vouch for it before a restore.

A fleetflow dump is ``<stamp>/<db>/`` with ``MANIFEST.sha256`` in ``<stamp>``; a
folder written by ``mongodump --out=<dir>`` (gzip or not) is ``<dir>/<db>/`` with
no manifest. ``--from`` may name either level. With a manifest the checksums
vouch for the files; without one every BSON file is decoded in full instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fleetflow.backup.layout import MANIFEST_NAME
from fleetflow.backup.manifest import verify_manifest
from fleetflow.backup.mongo_format import check_bson_file, read_metadata
from fleetflow.errors import BackupError

BSON_SUFFIXES = (".bson.gz", ".bson")
METADATA_SUFFIXES = (".metadata.json.gz", ".metadata.json")


@dataclass(frozen=True)
class CollectionFiles:
    """One collection's files in a database folder (either may be missing)."""

    name: str
    metadata: Path | None
    data: Path | None


@dataclass(frozen=True)
class DumpFolder:
    """Where a dump's files are: ``root`` (the manifest's folder) and ``database`` (the collections)."""

    root: Path
    database: Path
    manifest: bool


@dataclass(frozen=True)
class DumpCheck:
    """How a dump was vouched for: the manifest's file count, or the BSON files decoded."""

    manifest: bool
    files: int
    documents: int

    def describe(self) -> str:
        if self.manifest:
            return f"{MANIFEST_NAME} verified ({self.files} files)"
        return (
            f"no {MANIFEST_NAME} (a folder written by mongodump?): checked the structure of "
            f"{self.files} BSON files ({self.documents} documents) instead"
        )


def _strip(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return None


def collection_files(folder: Path) -> list[CollectionFiles]:
    """The collections of a database folder, by name; ``.gz`` wins when both forms exist."""
    metas: dict[str, Path] = {}
    datas: dict[str, Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):  # plain before .gz, so .gz wins
        if not path.is_file():
            continue
        if (name := _strip(path.name, METADATA_SUFFIXES)) is not None:
            metas[name] = path
        elif (name := _strip(path.name, BSON_SUFFIXES)) is not None:
            datas[name] = path
    return [CollectionFiles(n, metas.get(n), datas.get(n)) for n in sorted(metas.keys() | datas.keys())]


def _is_database_folder(path: Path) -> bool:
    return any(p.is_file() and _strip(p.name, METADATA_SUFFIXES + BSON_SUFFIXES) for p in path.iterdir())


def _pick_database(root: Path, source_database: str | None) -> Path:
    if source_database is not None:
        folder = root / source_database
        if not folder.is_dir():
            raise BackupError(f"dump {root} holds no database {source_database}")
        return folder
    databases = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(databases) != 1:
        names = ", ".join(p.name for p in databases) or "(none)"
        raise BackupError(
            f"dump {root} holds databases {names}",
            hint="point --from at one database folder (<dump>/<database>) or pass source_database",
        )
    return databases[0]


def locate_dump(path: Path, source_database: str | None = None) -> DumpFolder:
    """The dump at ``path``: a stamp (``--out``) folder or one database folder in it."""
    if not path.is_dir():
        raise BackupError(f"{path} is not a folder", hint="see `fleetflow backup list` for dumps on disk")
    if (path / MANIFEST_NAME).is_file():
        return DumpFolder(path, _pick_database(path, source_database), manifest=True)
    if (path.parent / MANIFEST_NAME).is_file():
        return DumpFolder(path.parent, path, manifest=True)
    if _is_database_folder(path):
        return DumpFolder(path.parent, path, manifest=False)
    folder = _pick_database(path, source_database)
    if not _is_database_folder(folder):
        raise BackupError(
            f"{path} is not a dump folder: no {MANIFEST_NAME}, "
            f"and no <collection>.bson[.gz] files in {folder}",
            hint="point --from at a folder written by fleetflow or by mongodump --out",
        )
    return DumpFolder(path, folder, manifest=False)


def check_dump(dump: DumpFolder) -> DumpCheck:
    """Verify the manifest, or, without one, decode every BSON file and parse every metadata file."""
    if dump.manifest:
        return DumpCheck(manifest=True, files=verify_manifest(dump.root), documents=0)
    files = documents = 0
    for coll in collection_files(dump.database):
        meta = read_metadata(coll.metadata) if coll.metadata is not None else {}
        if coll.data is None:
            if meta.get("type", "collection") == "collection":
                raise BackupError(
                    f"{coll.metadata} has no data file {coll.name}.bson[.gz] next to it",
                    hint="the dump is incomplete; restore from another one",
                )
            continue
        documents += check_bson_file(coll.data)
        files += 1
    return DumpCheck(manifest=False, files=files, documents=documents)
