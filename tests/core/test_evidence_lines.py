"""bot.core.evidence.evidence_from_line: evidence from a raw snapshot line, decoding only the
fields it reads, must equal evidence from the fully decoded entity, errors included."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.evidence import MalformedEntity, evidence_from_entity, evidence_from_line
from tests.support import snapshot as h

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


synth = _load("synth_snapshot", ROOT / "benchmarks" / "synth_snapshot.py")
MID = "M131000101"
PHOTO = "https://www.flickr.com/photos/harbourlight/52810336619/"


def outcome(fn: Any, arg: Any) -> Any:
    """The result, or the kind of error: both ways must agree on either."""
    try:
        return fn(arg)
    except orjson.JSONDecodeError:
        return "invalid JSON"
    except MalformedEntity as exc:
        return f"malformed entity: {exc}"


def full(line: bytes) -> Any:
    return evidence_from_entity(orjson.loads(line))


def line_of(entity: Any) -> bytes:
    return h.dump_line(entity).encode()


def test_every_line_of_a_generated_snapshot_gives_the_same_evidence(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    stats = synth.generate(path, 3000, seed=21, malformed=6)
    lines = [
        line.rstrip(b"\r").rstrip(b",")
        for line in path.read_bytes().splitlines()
        if line.strip() not in (b"[", b"]", b"")
    ]
    found = 0
    for line in lines:
        expected = outcome(full, line)
        assert outcome(evidence_from_line, line) == expected
        found += expected is not None and not isinstance(expected, str)
    assert found == stats.flickr_files > 200


@pytest.mark.parametrize(
    "entity",
    [
        h.entity(MID, {"P12120": [h.statement(MID, h.string("P12120", "52810336619"))]}),
        h.entity(MID, {"P7482": [h.source(MID, ("P973", PHOTO), ("P2699", PHOTO + "sizes/o/"))]}),
        h.entity(MID, {"P170": [h.creator(MID, name="Harbour Light", nsid="12345678@N04")]}),
        h.entity(
            MID,
            {
                **h.ordinary_statements(MID),
                "P12120": [h.statement(MID, h.string("P12120", "52810336619"))],
                "P7482": [h.source(MID, ("P973", PHOTO), rank="deprecated")],
                "P170": [h.creator(MID, profile="https://www.flickr.com/people/harbourlight/")],
            },
            caption="Flickr harbour",
        ),
        # the pre-2020 name of statements, and an entity without statements ([])
        {"type": "mediainfo", "id": MID, "claims": {"P7482": [h.source(MID, ("P973", PHOTO))]}},
        h.entity(MID, None, caption="Flickr"),
        # a statement list that is not a list, a null property, odd page fields
        h.entity(MID, {"P7482": {"not": "a list"}}),  # type: ignore[dict-item]
        h.entity(MID, {"P7482": None, "P170": [h.creator(MID, nsid="1@N01")]}),  # type: ignore[dict-item]
        {"id": MID, "pageid": "12", "title": 5, "lastrevid": None, "statements": {}},
        # not entities
        ["a list that mentions flickr"],
        {"type": "mediainfo", "labels": {"en": {"language": "en", "value": "Flickr"}}},
        {"id": {"nested": 1}, "statements": "flickr"},
    ],
)
def test_shapes_of_every_kind_give_the_same_outcome(entity: Any) -> None:
    for line in (line_of(entity), json.dumps(entity, indent=1).encode()):
        assert outcome(evidence_from_line, line) == outcome(full, line)


@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"mediainfo","id":"M2","labels":{"en":"Flickr \\/ broken}',
        b'{"type":"mediainfo","id":"M2","labels":{"en":[1,2,]},"statements":{}}',
        line_of(h.flickr_entity("M2")).replace(b'"P137"', b'"P137', 1),
        line_of(h.flickr_entity("M2"))[:-1],
        line_of(h.flickr_entity("M2")) + b"," + line_of(h.flickr_entity("M9", "123")),
    ],
    ids=["caption", "skipped-statement", "evidence-statement", "cut", "two-entities"],
)
def test_a_damaged_line_is_invalid_json_both_ways(line: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        evidence_from_line(line)


def test_a_stray_byte_in_a_caption_does_not_cost_the_evidence() -> None:
    line = line_of(h.flickr_entity("M2", caption="Flickr XX")).replace(b"XX", b"\xff\xfe")
    with pytest.raises(orjson.JSONDecodeError):
        full(line)
    found = evidence_from_line(line)
    assert found is not None and found.photo_ids == ("52810336619",)


# --------------------------------------------------------------------------- properties

TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "}", "]", "[", "{", ",", ":"]),
        st.sampled_from(['"P7482":[{"mainsnak":', '}],"P170":[{"mainsnak":', '}]},"pageid":']),
    ),
    max_size=12,
).map("".join)


@st.composite
def entities(draw: st.DrawFn) -> dict[str, Any]:
    mid = f"M{draw(st.integers(min_value=1, max_value=10**9))}"
    statements: dict[str, Any] = {}
    for prop in draw(st.permutations(["P180", "P7482", "P12120", "P170", "P571", "P1259"])):
        if not draw(st.booleans()):
            continue
        count = draw(st.integers(min_value=1, max_value=3))
        if prop == "P7482":
            statements[prop] = [
                h.source(
                    mid,
                    ("P973", draw(st.sampled_from([PHOTO, "https://flic.kr/p/2oCWZnD"]))),
                    ("P2699", draw(TEXT)),
                    rank=draw(st.sampled_from(["normal", "preferred", "deprecated"])),
                )
                for _ in range(count)
            ]
        elif prop == "P170":
            statements[prop] = [
                h.creator(mid, name=draw(TEXT) or None, nsid=draw(st.sampled_from(["", "1@N01"])))
                for _ in range(count)
            ]
        else:
            statements[prop] = [
                h.statement(mid, h.string(prop, draw(TEXT) or "x")) for _ in range(count)
            ]
    return h.entity(  # type: ignore[no-any-return]
        mid, statements, caption=draw(TEXT) or None, title=f"File:{draw(TEXT)}.jpg"
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(entities())
def test_any_entity_gives_the_same_evidence_both_ways(entity: dict[str, Any]) -> None:
    line = line_of(entity)
    assert outcome(evidence_from_line, line) == outcome(full, line)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(entities(), st.randoms(use_true_random=False))
def test_a_damaged_line_never_gives_other_evidence(
    entity: dict[str, Any], rnd: random.Random
) -> None:
    """Whatever a byte-level accident does to a line, reading only the evidence fields
    gives what the full decode gives, or, when skipped text was damaged in a way only a
    full decode notices (its encoding), what the full decode gives with those bytes
    replaced (the undamaged line's evidence, if that was the only damage)."""
    line = bytearray(line_of(entity))
    for _ in range(rnd.randint(1, 3)):
        at = rnd.randrange(len(line))
        action = rnd.choice(["flip", "drop", "dup"])
        if action == "flip":
            line[at] = rnd.choice(b'"\\{}[],:0aP\xff')
        elif action == "drop":
            del line[at]
        else:
            line.insert(at, line[at])
    damaged = bytes(line)
    fast = outcome(evidence_from_line, damaged)
    repaired = damaged.decode("utf-8", "replace").encode()
    assert fast in (outcome(full, damaged), outcome(full, repaired), outcome(full, line_of(entity)))
