"""Alerts (#18) in results-api: the rule store behind `/api/rules` (announced on the compacted
`alert-rules` topic the alerts service follows) and the read side of `/api/alerts`,
materialized from the `alerts` and `alert-deliveries` topics."""
