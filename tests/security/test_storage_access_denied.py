"""A request MinIO refuses a service's login is shown as such, never retried as an outage.

On the real MinIO with the test's own per-service users (`storage_logins`): a login whose policy
lacks the permission gets `StorageAccessDeniedError` (permanent, naming the user, the action and
the object), a detector logged in as a user that may not read segments dead-letters each one at
once with that reason and stays ready, one that may not read logo images marks them unusable
instead of waiting on them, and results-api answers an upload its user may not store
(and its storage report, when its user may not read the drives' fill) with a 500 and an
`api.storage_access_denied` log line.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import pytest

from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import make_logo
from sightline_common.errors import PermanentError, StorageAccessDeniedError, TransientError
from sightline_common.messages import DeadLetter
from sightline_common.storage_access import storage_user
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import wait_for_messages
from sightline_testkit.plugin import Isolated

from .conftest import StorageLogins, start_results_api

# Storage grants are the subject, not partitions: one per topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]


def test_every_refused_request_is_access_denied_naming_user_action_and_object(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    segments = isolated.env["SIGHTLINE_SEGMENTS_BUCKET"]
    logos = isolated.env["SIGHTLINE_LOGOS_BUCKET"]
    root = Scenario(isolated.settings()).store
    root.put_bytes(segments, "streams/cam/segments/00000000.ts", b"\x47" * 188)
    detector = storage_logins.store(isolated, "detector-logo")
    executor = storage_logins.store(isolated, "executor")
    ingest = storage_logins.store(isolated, "ingest")
    refusals: dict[str, Callable[[], object]] = {
        "put": lambda: detector.put_bytes(segments, "streams/cam/x.ts", b"x"),
        "get": lambda: executor.get_bytes(segments, "streams/cam/segments/00000000.ts"),
        "stat": lambda: executor.exists(segments, "streams/cam/segments/00000000.ts"),
        "list": lambda: list(detector.list_keys(segments, "streams/")),
        "remove": lambda: ingest.remove_keys(segments, ["streams/cam/segments/00000000.ts"]),
        "bucket": lambda: detector.ensure_bucket(logos),
    }
    users = {
        "put": "detector-logo",
        "get": "executor",
        "stat": "executor",
        "list": "detector-logo",
        "remove": "ingest",
        "bucket": "detector-logo",
    }
    for action, attempt in refusals.items():
        with pytest.raises(StorageAccessDeniedError) as refused:
            attempt()
        assert isinstance(refused.value, PermanentError)
        assert not isinstance(refused.value, TransientError)
        message = str(refused.value)
        assert storage_user(users[action]).access_key(storage_logins.prefix) in message, action
        assert action in message, message
        assert segments in message or logos in message, message
    # What the grants allow still works, and a missing object is still a missing object.
    assert executor.exists(logos, "nothing-here") is False
    assert detector.get_bytes(segments, "streams/cam/segments/00000000.ts") == b"\x47" * 188


def test_a_detector_that_may_not_read_segments_dead_letters_them_at_once_and_stays_ready(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    """The executor's user reads logos only: a detector given it by mistake cannot read one
    segment. Each is dead-lettered with the refusal (not retried for minutes as an outage)."""
    scenario = Scenario(isolated.settings())
    port = ephemeral_port()
    detector = isolated.spawn(
        "sightline_detector_logo",
        SIGHTLINE_HTTP_PORT=str(port),
        **storage_logins.env_of("executor"),
    )
    detector.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
    for sequence in (0, 1):
        scenario.add_segment("cam-denied", sequence, b"\x47" * 188 * 64)

    dlq = isolated.topics.dlq(isolated.topics.name(Topic.SEGMENTS))
    dead = [m.payload for m in wait_for_messages(isolated.bootstrap, dlq, 2, timeout=120)]
    assert all(isinstance(d, DeadLetter) for d in dead)
    assert [d.error_type for d in dead] == ["StorageAccessDeniedError"] * 2
    user = storage_user("executor").access_key(storage_logins.prefix)
    assert all(user in d.reason and "storage access denied: get" in d.reason for d in dead)
    detector.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=30)
    assert "storage access denied" in detector.tail(400)
    assert detector.stop() == 0


def test_a_logo_reference_the_detectors_user_may_not_read_is_unusable_not_awaited(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    """Given ingest's user (segments only), a detector cannot load the logo library's images:
    each reference is marked unusable with the refusal and the detector gets ready, where an
    outage would hold readiness while it retries."""
    Scenario(isolated.settings()).add_logo("acme-1", "acme", make_logo("ACME", seed=1))
    port = ephemeral_port()
    detector = isolated.spawn(
        "sightline_detector_logo", SIGHTLINE_HTTP_PORT=str(port), **storage_logins.env_of("ingest")
    )
    detector.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
    log = detector.tail(400)
    assert "logo.unusable" in log
    assert "storage access denied: get" in log
    assert storage_user("ingest").access_key(storage_logins.prefix) in log
    assert "logo.fetch_retry" not in log
    assert detector.stop() == 0


def test_results_api_answers_a_refused_upload_with_500_and_logs_why(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    """results-api logged in as a detector's user (read only): storing a logo is refused."""
    api = start_results_api(isolated, **storage_logins.env_of("detector-logo"))
    png = cv2.imencode(".png", make_logo("ACME", seed=1))[1].tobytes()
    with api.client() as client:
        answer = client.post(
            "/api/logos", data={"brand": "acme"}, files={"image": ("a.png", png, "image/png")}
        )
    assert answer.status_code == 500, answer.text
    assert "refused this service's login" in answer.json()["detail"]
    assert storage_logins.prefix not in answer.text  # the user and policy stay in the log
    log = api.process.tail(400)
    assert "api.storage_access_denied" in log
    assert storage_user("detector-logo").access_key(storage_logins.prefix) in log


def test_the_storage_report_without_the_drive_info_grant_is_a_500_not_an_outage(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    """results-api logged in as ingest's user, which may list segments but not read MinIO's
    server info: the storage meter's refusal is shown as such (it was a 503 'retry')."""
    api = start_results_api(isolated, **storage_logins.env_of("ingest"))
    with api.client() as client:
        answer = client.get("/api/storage")
    assert answer.status_code == 500, answer.text
    log = api.process.tail(400)
    assert "api.storage_access_denied" in log
    assert "object store drive info" in log
