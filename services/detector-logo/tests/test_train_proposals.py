"""The learned proposal net end to end on the real platform (Kafka, MinIO, both processes): a
detector with the default settings detects a new logo at once, searching frames whole while no
net exists; `train-proposals`, following the library, trains for it and stores the net; the
running detector picks the net up under the same key, and a second round does not train."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from sightline_analysis.logo.learned.train import TrainingRecipe
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.logo.matcher import iou
from sightline_analysis.scenario import Scenario
from sightline_analysis.wire import decode_reference
from sightline_common.storage import ObjectStore
from sightline_detector_logo.trainer import TrainingLibrary, train_for
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

from .test_detector_integration import ACME, clip, detections, logos, start_detector

pytestmark = pytest.mark.integration

# A smoke recipe, given to both processes as an operator would: one eager step (no graph
# tracing) keeps the training to a few CPU seconds.
RECIPE = TrainingRecipe(steps=1, eager=True)
RECIPE_ENV = {"SIGHTLINE_LOGO_PROPOSAL_RECIPE": RECIPE.model_dump_json()}
RETRY_SECONDS = 30.0  # ProposalConfig.retry_seconds: how often a missing net is looked up again


def logged(child: ChildProcess, event: str) -> dict[str, Any] | None:
    """The first JSON log record of `child` with this event, if any yet."""
    for line in child.log_path.read_text().splitlines():
        if f'"{event}"' in line and line.startswith("{"):
            record: dict[str, Any] = json.loads(line)
            if record.get("event") == event:
                return record
    return None


def wait_for_log(child: ChildProcess, event: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (record := logged(child, event)) is None:
        assert child.returncode() is None, child.tail(60)
        assert time.monotonic() < deadline, f"no {event} in {child.log_path}"
        time.sleep(0.3)
    return record


def test_a_new_logo_is_found_at_once_and_the_trained_net_is_picked_up_by_the_running_detector(
    isolated: Isolated,
) -> None:
    scenario = Scenario(isolated.settings())
    detector = start_detector(isolated, **RECIPE_ENV)  # SIGHTLINE_LOGO_PROPOSALS: the default
    acme = scenario.add_logo("acme-1", "acme", ACME)
    wait_for_log(detector, "logo.added", timeout=60)

    # No net for this library yet: frames are searched whole, the logo is found at once.
    with_logo, truth = clip(isolated.tmp, "logo", with_logo=True)
    assert truth is not None
    scenario.add_segment("cam-net", 0, with_logo)
    first = detections(isolated, 1)[("cam-net", 0)]
    looked_up = time.monotonic()  # the detector has asked for the net (missing) by now
    sightings = logos(first)
    assert {label for _, label, _ in sightings} == {"acme"}
    assert all(iou(box, truth) > 0.5 for _, _, box in sightings)
    assert {r.attributes.get("proposals") for f in first.frames for r in f.results} == {
        "whole-frame"
    }

    trainer = isolated.spawn(
        "sightline_detector_logo", "train-proposals", "--settle", "0.5",
        SIGHTLINE_HTTP_PORT="0", **RECIPE_ENV,
    )  # fmt: skip
    key = wait_for_log(trainer, "proposals.trained", timeout=180)["key"]
    assert trainer.stop() == 0  # SIGTERM while idle: exits cleanly

    # The detector looks a missing net up again every RETRY_SECONDS; the next segment after
    # that is searched where the trained net proposes.
    time.sleep(max(0.0, looked_up + RETRY_SECONDS + 1 - time.monotonic()))
    scenario.add_segment("cam-net", 1, with_logo)
    detections(isolated, 2)
    assert wait_for_log(detector, "logo.proposals_loaded", timeout=30)["key"] == key

    # The trainer's view of the library (the detector's code path) gives the detector's key,
    # and with the net stored, another round (a restart) trains nothing.
    store = ObjectStore.from_settings(isolated.settings())
    library = TrainingLibrary(RECIPE)
    reference = decode_reference(store.get_bytes(acme.bucket, acme.object_key))
    library.add(acme.logo_id, acme.brand, reference)
    snapshot_key, references, _ = library.snapshot()
    assert snapshot_key == key
    weights = WeightsStore(store, isolated.env["SIGHTLINE_LOGOS_BUCKET"])
    assert not train_for(key, references, RECIPE, weights)
