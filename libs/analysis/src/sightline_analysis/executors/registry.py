"""Finds executor plugins by kind and builds one from its config."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.executors import plugins
from sightline_analysis.executors.base import Executor


def executor_classes() -> dict[str, type[Executor]]:
    """Every concrete executor in the plugin package, by kind (`local`, `lan`, `cloud`)."""
    found: dict[str, type[Executor]] = {}
    for info in pkgutil.iter_modules(plugins.__path__, prefix=f"{plugins.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Executor)
                and value.__module__ == module.__name__
            ):
                found[value.kind.value] = value
    return found


def build_executor(config: Mapping[str, Any], analyzers: AnalyzerSet) -> Executor:
    """An executor of `config["type"]`, its config validated by the plugin's config class."""
    kind = str(config["type"])
    classes = executor_classes()
    if kind not in classes:
        raise KeyError(f"no executor {kind!r}; known: {sorted(classes)}")
    cls = classes[kind]
    return cls(cls.config_model.model_validate(dict(config)), analyzers)
