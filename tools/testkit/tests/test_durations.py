"""The durations book: what it keeps, how it orders tests, and that a bad book is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sightline_testkit.durations import DurationRecorder, load, longest_first, save


@dataclass
class _Item:
    nodeid: str
    integration: bool = False

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "integration" and self.integration else None


def _ids(items: list) -> list[str]:
    return [item.nodeid for item in items]


def test_longest_known_first_then_unknown_integration_then_unit_in_collection_order() -> None:
    items = [
        _Item("unit_a"),
        _Item("short_integration", integration=True),
        _Item("new_integration", integration=True),
        _Item("unit_b"),
        _Item("chaos", integration=True),
    ]
    book = {"short_integration": 3.0, "chaos": 219.0, "unit_a": 0.01, "unit_b": 0.01}

    assert _ids(longest_first(items, book)) == [
        "chaos",
        "new_integration",
        "short_integration",
        "unit_a",
        "unit_b",
    ]


def test_a_run_merges_its_measurements_into_the_book(tmp_path: Path) -> None:
    book = tmp_path / "durations.json"
    save(book, {"old": 5.0, "rerun": 1.0})
    recorder = DurationRecorder(book)
    for when, seconds in (("setup", 0.5), ("call", 2.0), ("teardown", 0.25)):
        recorder.pytest_runtest_logreport(
            pytest.TestReport("rerun", ("f", 1, "rerun"), {}, "passed", None, when, [], seconds)
        )
    recorder.pytest_sessionfinish()

    assert load(book) == {"old": 5.0, "rerun": 2.75}
    assert list(tmp_path.iterdir()) == [book]  # no partial file left behind


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"t": "slow"}'])
def test_an_unreadable_book_means_the_default_order(tmp_path: Path, content: str) -> None:
    book = tmp_path / "durations.json"
    book.write_text(content)

    assert load(book) == {}
    assert load(tmp_path / "missing.json") == {}
