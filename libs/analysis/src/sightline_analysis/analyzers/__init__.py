"""Analyzer plugins: one abstract base, one short file per analyzer, a registry by key."""

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    LateResult,
)
from sightline_analysis.analyzers.registry import AnalyzerRegistry, AnalyzerSet

__all__ = [
    "Analyzer",
    "AnalyzerConfig",
    "AnalyzerContext",
    "AnalyzerRegistry",
    "AnalyzerSet",
    "LateResult",
]
