"""Analyzers that do not run on every sampled frame (issue 15's cost cut): what they report on
the frames they skip."""

from __future__ import annotations

import cv2
from skimage import data

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry
from sightline_analysis.frames import Frame
from sightline_analysis.synthetic import background

REGISTRY = AnalyzerRegistry.discover()
CONTEXT = AnalyzerContext()


def _astronaut(offset: float) -> Frame:
    frame = background(12)
    frame[100:612, 600:1112] = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return Frame(frame, offset)


def test_people_are_detected_on_every_2nd_frame_and_held_between() -> None:
    people = REGISTRY.build("people", CONTEXT)
    empty = Frame(background(4), 1.0)
    first, held, nothing, held_nothing = people.analyze(
        "s", [_astronaut(0.0), _astronaut(0.5), empty, _astronaut(1.5)]
    )
    assert first
    assert all("held" not in p.attributes for p in first)
    assert [p.box for p in held] == [p.box for p in first]
    assert all(p.attributes["held"] is True for p in held)
    assert nothing == []
    assert held_nothing == []  # held from the empty frame before it, not detected


def test_people_every_frame_again_with_every_nth_1() -> None:
    people = REGISTRY.build("people", CONTEXT, {"every_nth": 1})
    first, second = people.analyze("s", [_astronaut(0.0), _astronaut(0.5)])
    assert first
    assert second
    assert all("held" not in p.attributes for p in first + second)
    assert people.fingerprint() != REGISTRY.build("people", CONTEXT).fingerprint()
