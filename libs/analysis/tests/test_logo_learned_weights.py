"""Learned-proposal weights on the real object store: a detector's matcher picks up the net
stored for its library, and drops it when the library changes."""

from __future__ import annotations

import time

import pytest

from sightline_analysis.logo.learned.model import HeatmapNet, build
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.synthetic import Placement, background, composite, make_logo
from sightline_common.storage import ObjectStore
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

ACME = make_logo("ACME", seed=1)
FRAME, _ = composite(background(5, (1280, 720)), ACME, Placement((900, 250), 220, 6))


def matched_until_net(matcher: ProposalMatcher, timeout: float = 60.0) -> str:
    """Frames through the matcher until it proposes with a stored net (it asks storage
    again every `retry_seconds` while none is loaded)."""
    deadline = time.monotonic() + timeout
    while matcher.net_key is None:
        assert time.monotonic() < deadline, "the stored net was never picked up"
        matcher.match(FRAME)
    return matcher.net_key


def test_the_net_stored_for_the_library_is_picked_up_and_dropped_when_it_changes(
    isolated: Isolated,
) -> None:
    store = ObjectStore.from_settings(isolated.settings())
    weights = WeightsStore(store, isolated.env["SIGHTLINE_LOGOS_BUCKET"])
    matcher = ProposalMatcher(proposals=ProposalConfig(retry_seconds=0.05), weights=weights)
    matcher.add("acme-1", "acme", ACME)
    key = matcher.library_key

    # No weights yet: the whole frame is searched, the logo found as without the net.
    assert [m.brand for m in matcher.match(FRAME)] == ["acme"]
    assert matcher.net_key is None
    assert not weights.has(key)

    weights.save(key, HeatmapNet(build(1, width=0.25), ["acme"]))
    assert weights.has(key)
    assert matched_until_net(matcher) == key
    assert weights.load(key) is not None

    matcher.add("volt-1", "volt", make_logo("VOLT", seed=2))
    matcher.match(FRAME)
    assert matcher.net_key is None  # another library: no weights stored for it
    matcher.remove("volt-1")
    assert matched_until_net(matcher) == key
