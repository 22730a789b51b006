"""Property: detection flags a stack exactly when its brute-force fingerprint changes."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from stackgen_helper import generate

from fleetflow.changes import detect_changes


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), edits=st.integers(1, 6), edit_seed=st.integers(0, 10_000))
def test_random_edits_flag_exactly_the_stacks_whose_fingerprint_changed(
    seed: int, edits: int, edit_seed: int
) -> None:
    repo = generate(seed, n_stacks=12)
    before_files, before_prints = dict(repo.files), repo.fingerprints()
    before_vars = repo.variable_hashes()
    rng = random.Random(edit_seed)
    for serial in range(edits):
        repo.edit(rng, serial)
    affected = detect_changes(
        repo.inputs(),
        changed(before_files, repo.files),
        old_variables=before_vars,
        new_variables=repo.variable_hashes(),
    )
    truth = {name for name, fp in repo.fingerprints().items() if fp != before_prints[name]}
    assert set(affected) == truth
