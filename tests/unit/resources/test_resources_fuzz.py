"""Random and malformed resource files never raise: problems come back as located ResourceErrors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetflow.errors import ResourceError
from fleetflow.resources import MemorySource, load_resources, validate

KINDS = ["server", "stack", "variable", "resource_sync", "repo", "deployment", "stak"]
KEYS = ["name", "server", "environment", "after", "tags", "deploy", "run_directory", "address", "value", "x"]
VALUES = st.one_of(
    st.integers(-5, 5).map(str),
    st.booleans().map(lambda b: str(b).lower()),
    st.text(alphabet="abc[]=,\n\"' #\\", max_size=12).map(lambda t: '"' + t + '"'),
    st.just('"""\nA=1\nbad line\n"""'),
    st.just('[1, "a"]'),
    st.just("{ command = 3 }"),
)


@st.composite
def toml_like(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(KINDS))
        lines.append(draw(st.sampled_from([f"[[{kind}]]", f"[{kind}]", f"[{kind}.config]", "[[x"])))
        for _ in range(draw(st.integers(0, 4))):
            lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(VALUES)}")
    return "\n".join(lines)


def _check(text: str) -> None:
    loaded = validate(load_resources(MemorySource({"a.toml": text, "b.toml": text})))
    for err in loaded.errors:
        assert isinstance(err, ResourceError)
        assert err.location.file in {"a.toml", "b.toml"}
        line = err.location.line
        assert line is None or 1 <= line <= text.count("\n") + 2, (line, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_like())
def test_structured_garbage_yields_located_errors(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_yields_located_errors(text: str) -> None:
    _check(text)
