"""Executor plugins, one per module; found by `executors.registry`."""
