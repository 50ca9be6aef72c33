"""Executors: where an analysis runs (local, LAN, cloud), as plugins behind one interface."""

from sightline_analysis.executors.base import (
    AnalysisCall,
    Executor,
    ExecutorAnswer,
    ExecutorConfig,
    ExecutorFailedError,
)
from sightline_analysis.executors.registry import build_executor
from sightline_analysis.executors.router import ExecutorRouter, RoutedAnswer

__all__ = [
    "AnalysisCall",
    "Executor",
    "ExecutorAnswer",
    "ExecutorConfig",
    "ExecutorFailedError",
    "ExecutorRouter",
    "RoutedAnswer",
    "build_executor",
]
