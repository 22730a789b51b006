"""Deploy fixtures (LocalHost on test-bed host1, spec builder) and canaries outside the stacks root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import history, host, make_spec, project

CANARY = "CANARY_SECRET=do-not-leak-4f1c\n"

__all__ = ["history", "host", "make_spec", "project"]


@dataclass(frozen=True)
class Canaries:
    """A file and a folder outside the stacks root that no deploy may touch."""

    file: Path
    folder: Path

    def intact(self) -> bool:
        return (
            self.file.read_text() == CANARY
            and (self.folder / "inner.txt").read_text() == "inner\n"
            and sorted(p.name for p in self.folder.iterdir()) == ["inner.txt"]
        )


@pytest.fixture
def canaries(tmp_path: Path) -> Canaries:
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "canary.env").write_text(CANARY)
    (outside / "folder" / "inner.txt").write_text("inner\n")
    return Canaries(outside / "canary.env", outside / "folder")
