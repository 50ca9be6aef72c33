import type { AnalysisInfo, Detection } from '../../generated/messages';
import { observeAnalysis, shownAnalysis, streamAnalysis } from './live-analysis';

function detection(detector: string, analysis: AnalysisInfo | null): Detection {
  return {
    stream_id: 's1',
    segment: { sequence: 1, bucket: 'b', object_key: 'k', media_start: 2, duration: 2 },
    run_id: 'live',
    detector: { name: detector, version: '1', config_hash: 'h' },
    executor: { kind: 'local', latency_ms: 1 },
    frames: [],
    timings: { total_ms: 1 },
    analysis,
  };
}

describe('live analysis of a stream', () => {
  it('is degraded while a detector sheds, counts the backfill and recovers by itself', () => {
    let held = observeAnalysis(
      undefined,
      detection('logo', { mode: 'degraded', sample_fps: 2, lag_s: 1, shed_before: 3 }),
    );
    held = observeAnalysis(held, detection('visual', { mode: 'full', sample_fps: 2 }));
    expect(streamAnalysis(held)).toEqual({ degraded: true, skipped: 3, backfilled: 0 });

    held = observeAnalysis(
      held,
      detection('logo', { mode: 'backfill', sample_fps: 2, backfill_run_id: 'backfill-logo-s1-4' }),
    );
    held = observeAnalysis(
      held,
      detection('logo', { mode: 'full', sample_fps: 2, shed_before: 0 }),
    );
    expect(streamAnalysis(held)).toEqual({ degraded: false, skipped: 3, backfilled: 1 });
  });

  it('says nothing for detections without analysis and never counts more backfilled than skipped', () => {
    expect(streamAnalysis(observeAnalysis(undefined, detection('logo', null)))).toBeNull();
    const held = observeAnalysis(
      undefined,
      detection('logo', { mode: 'backfill', sample_fps: 2, backfill_run_id: 'r' }),
    );
    expect(streamAnalysis(held)).toEqual({ degraded: false, skipped: 0, backfilled: 0 });
  });
});

describe('a stream row', () => {
  it("takes the feed's newer degraded state and results-api's hour of backfill counts", () => {
    const stored = { degraded: true, skipped: 10, backfilled: 4 };
    const fed = { degraded: false, skipped: 1, backfilled: 0 };
    expect(shownAnalysis(stored, fed)).toEqual({ degraded: false, skipped: 10, backfilled: 4 });
    expect(shownAnalysis(stored, null)).toEqual(stored);
    expect(shownAnalysis({ degraded: false, skipped: 0, backfilled: 0 }, fed)).toEqual(fed);
    expect(shownAnalysis(null, undefined)).toBeNull();
  });
});
