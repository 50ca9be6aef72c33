"""`train-proposals` on the real platform: it follows the logo library, trains for it and
stores the net under the key a detector's matcher computes for the same library."""

from __future__ import annotations

import pytest

from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import make_logo, make_transparent_logo
from sightline_analysis.wire import decode_reference
from sightline_common.storage import ObjectStore
from sightline_detector_logo.trainer import train_for, usable_references
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def test_the_trainer_stores_the_net_where_the_detector_looks_and_trains_once(
    isolated: Isolated,
) -> None:
    scenario = Scenario(isolated.settings())
    acme = scenario.add_logo("acme-1", "acme", make_logo("ACME", seed=1))
    volt = scenario.add_logo("volt-1", "volt", make_transparent_logo("VOLT", seed=2))

    # A smoke recipe: one step. A detector looks for the default recipe's key.
    done = isolated.run("sightline_detector_logo", "train-proposals", "--once", "--steps", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"proposals.trained"' in done.stderr

    recipe = ProposalConfig().recipe.model_copy(update={"steps": 1})
    store = ObjectStore.from_settings(isolated.settings())
    weights = WeightsStore(store, isolated.env["SIGHTLINE_LOGOS_BUCKET"])
    # The detector's side: the same references as its library follower decodes them.
    matcher = ProposalMatcher(proposals=ProposalConfig(recipe=recipe), weights=weights)
    for entry in (acme, volt):
        image = decode_reference(store.get_bytes(entry.bucket, entry.object_key))
        matcher.add(entry.logo_id, entry.brand, image)
    assert weights.has(matcher.library_key)

    # Stored already: a second round (a restart) does not train again.
    references = usable_references([acme, volt], store)
    assert train_for(references, recipe, weights) == matcher.library_key
