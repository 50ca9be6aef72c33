"""schemas/ is the single source of truth: the generated models and registry must match it."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
from pathlib import Path

from sightline_common.messages import MESSAGE_TYPES

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "schemas"
GENERATED = ROOT / "libs/common/src/sightline_common/messages/schema"


def test_registry_lists_every_message_schema_with_its_version() -> None:
    declared = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        if "x-message-type" in schema:
            declared[schema["x-message-type"]] = (schema["x-message-version"], schema["title"])
    registered = {name: (ver, model.__name__) for name, (ver, model) in MESSAGE_TYPES.items()}
    assert registered == declared


def test_generated_models_are_current(tmp_path: Path) -> None:
    """Fails when a schema changed without `make schemas`."""
    copy = tmp_path / "repo"
    for part in ("schemas", "scripts", ".venv", "pyproject.toml", "libs"):
        source = ROOT / part
        target = copy / part
        if part == ".venv":
            target.symlink_to(source)
        elif source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    subprocess.run(["bash", "scripts/gen_schemas.sh"], cwd=copy, check=True, capture_output=True)
    fresh = copy / "libs/common/src/sightline_common/messages/schema"
    names = sorted(p.name for p in GENERATED.glob("*.py"))
    assert names == sorted(p.name for p in fresh.glob("*.py"))
    _match, mismatch, errors = filecmp.cmpfiles(GENERATED, fresh, names, shallow=False)
    assert not errors
    assert not mismatch, f"run `make schemas`: {mismatch} differ"
