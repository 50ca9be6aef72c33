"""The rule table: every alert rule, followed from the compacted `alert-rules` topic."""

from __future__ import annotations

import threading

from sightline_alerts.pacing import is_set_rule
from sightline_common.messages import AlertKind, AlertRule


class RuleBook:
    """Rules by id, applied by the topic follower's thread and read by the evaluators."""

    def __init__(self) -> None:
        self._rules: dict[str, AlertRule] = {}
        self._lock = threading.Lock()

    def apply(self, key: str, rule: AlertRule | None) -> None:
        """Insert or replace a rule; None (a tombstone) removes it."""
        with self._lock:
            if rule is None:
                self._rules.pop(key, None)
            else:
                self._rules[rule.rule_id] = rule

    def get(self, rule_id: str) -> AlertRule | None:
        """The rule, or None if it does not exist (any more)."""
        with self._lock:
            return self._rules.get(rule_id)

    def for_stream(self, stream_id: str, kinds: frozenset[AlertKind]) -> list[AlertRule]:
        """The enabled rules of `kinds` on `stream_id` alone, in a stable order (pacing over a
        set of streams is not among them: see `with_member`)."""
        with self._lock:
            rules = [
                r
                for r in self._rules.values()
                if r.enabled and r.stream_id == stream_id and r.kind in kinds and not is_set_rule(r)
            ]
        return sorted(rules, key=lambda r: r.rule_id)

    def with_member(self, stream_id: str) -> list[AlertRule]:
        """The enabled pacing rules over a set of streams that `stream_id` belongs to."""
        with self._lock:
            rules = [
                r
                for r in self._rules.values()
                if r.enabled and is_set_rule(r) and stream_id in r.stream_ids
            ]
        return sorted(rules, key=lambda r: r.rule_id)
