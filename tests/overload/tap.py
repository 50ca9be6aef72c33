"""Watching an overloaded detector from outside: every Detection on the topic, and its metrics."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx
from confluent_kafka import Consumer

from sightline_common.envelope import decode
from sightline_common.kafka.config import consumer_config
from sightline_common.messages import Detection


@dataclass(frozen=True)
class Seen:
    """One Detection message as read from the topic."""

    event_id: str
    occurred_at: datetime
    detection: Detection


class DetectionTap:
    """Reads the detections topic from the start on a thread until closed."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        group = f"overload-tap-{uuid.uuid4().hex[:8]}"
        self._consumer = Consumer(consumer_config(bootstrap, group, group))
        self._consumer.subscribe([topic])
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="detection-tap", daemon=True)
        self._thread.start()

    def seen(self) -> list[Seen]:
        """Every Detection read so far, in topic order per stream."""
        with self._lock:
            return list(self._seen)

    def close(self) -> None:
        """Stop reading and leave the group."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            msg = self._consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            message = decode(msg.value() or b"", Detection)
            seen = Seen(message.event_id, message.envelope.occurred_at, message.payload)
            with self._lock:
                self._seen.append(seen)


_SAMPLE = re.compile(r"^(?P<name>\w+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
# One client for every scrape (httpx clients are thread-safe): `httpx.get` builds a client, and
# with it an SSL context, per call, ~30 ms of CPU against ~2 ms for a request on a kept client
# (100 local GETs: 3.2 vs 0.17 CPU-s), and the watch below scrapes 4 times a second.
_HTTP = httpx.Client(timeout=5)


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus samples at `url`: (name, labels) -> value."""
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in _HTTP.get(url).text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = frozenset(
            tuple(pair.split("=", 1)) for pair in re.findall(r'\w+="[^"]*"', match["labels"])
        )
        samples[(match["name"], frozenset((k, v.strip('"')) for k, v in labels))] = float(
            match["value"]
        )
    return samples


class DegradationWatch:
    """Scrapes the live detector's /metrics on a thread until closed: which streams it ever
    marked degraded and the highest shed ratio it ever reported. A scrape only when a segment
    is added can miss a mark the detector sets and clears between two of them."""

    def __init__(self, url: str, every_s: float = 0.25) -> None:
        self.degraded: set[str] = set()
        self.peak_shed_ratio = 0.0
        self._url, self._every_s = url, every_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="degradation-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop scraping."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                samples = scrape(self._url)
            except httpx.HTTPError:
                continue  # a scrape refused under load: the next one counts
            with self._lock:
                for (name, labels), value in samples.items():
                    if name == "sightline_live_degraded" and value == 1:
                        self.degraded.add(dict(labels)["stream_id"])
                    if name == "sightline_live_shed_ratio":
                        self.peak_shed_ratio = max(self.peak_shed_ratio, value)
