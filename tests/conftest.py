"""Fixtures shared by the cross-service tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def pipeline_harness() -> ModuleType:
    """The bench's whole-pipeline harness (`tests/bench/_pipeline.py`: `Pipeline`, `Stream`).

    tests/bench is a folder of scripts run by path, not a package, so the module is loaded from
    its file once; the end-to-end tests drive the same harness the latency bench measures.
    """
    path = Path(__file__).resolve().parent / "bench" / "_pipeline.py"
    spec = importlib.util.spec_from_file_location("_pipeline", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_pipeline", module)
    spec.loader.exec_module(module)
    return module
