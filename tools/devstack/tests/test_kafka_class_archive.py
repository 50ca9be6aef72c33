"""The broker's class-data-sharing archive: only a dump the JVM can map reaches the cache.

A JVM given a cut archive crashes instead of ignoring it, so a bad one in the cache would stop
every later broker from starting. Needs java and the cached Kafka jars (as every broker does).
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from sightline_devstack.servers.kafka import Kafka
from sightline_devstack.settings import DevstackSettings

pytestmark = pytest.mark.integration


def _kafka(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kafka:
    settings = dataclasses.replace(DevstackSettings.from_env(), state_dir=tmp_path / "state")
    # The jars stay those of the real cache; the archives go to a folder of this test's own.
    monkeypatch.setattr(Kafka, "archive_dir", property(lambda _self: tmp_path / "cds"))
    kafka = Kafka(settings, lambda _: None)
    kafka.dir.mkdir(parents=True)
    return kafka


def test_a_dump_the_jvm_cannot_map_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = _kafka(tmp_path, monkeypatch)
    incoming = kafka.dir / "0123456789abcdef.jsa.incoming"
    incoming.write_bytes(b"\0" * 65536)
    kafka.after_stop(polite=True)
    assert not incoming.exists()
    assert not (tmp_path / "cds" / "0123456789abcdef.jsa").exists()


def test_a_cut_dump_crashes_only_the_check_and_leaves_no_report_where_make_test_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = _kafka(tmp_path, monkeypatch)
    java = kafka._jvm()[0]
    whole = tmp_path / "whole.jsa"
    subprocess.run([java, f"-XX:ArchiveClassesAtExit={whole}", "-version"], check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    incoming = kafka.dir / "0123456789abcdef.jsa.incoming"
    incoming.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    caller = tmp_path / "clone"
    caller.mkdir()
    monkeypatch.chdir(caller)
    kafka.after_stop(polite=True)
    assert not incoming.exists()
    assert not (tmp_path / "cds" / "0123456789abcdef.jsa").exists()
    assert list(caller.iterdir()) == []


def test_the_dump_of_a_killed_broker_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = _kafka(tmp_path, monkeypatch)
    incoming = kafka.dir / "0123456789abcdef.jsa.incoming"
    incoming.write_bytes(b"\0" * 65536)
    kafka.after_stop(polite=False)
    assert not incoming.exists()
    assert not (tmp_path / "cds").exists()
