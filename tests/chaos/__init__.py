"""Chaos and soak: the whole pipeline under faults, on a throwaway platform (issue #9).

`python -m tests.chaos --duration 600` (what `make chaos` runs), or the shortened run in
`test_chaos_integration.py` (part of `make test`). See README.md.
"""
