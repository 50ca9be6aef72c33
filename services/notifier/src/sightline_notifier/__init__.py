"""Sightline notifier: WebSocket fan-out of Kafka events to dashboards."""
