"""Analyzer plugins, one per module; discovered by `AnalyzerRegistry.discover`."""
