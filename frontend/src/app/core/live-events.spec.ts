import type { Detection } from '../generated/messages';
import { flattenDetection } from './live-events';

export function detectionMessage(overrides: Partial<Detection> = {}): Detection {
  return {
    stream_id: 's1',
    segment: { sequence: 3, bucket: 'b', object_key: 'k', media_start: 6, duration: 2 },
    run_id: 'live',
    detector: { name: 'logo', version: '1.0', config_hash: 'h' },
    executor: { kind: 'local', latency_ms: 12 },
    frames: [
      { media_ts: 6.5, results: [{ kind: 'logo', label: 'acme', confidence: 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.1 } }] },
      { media_ts: 7, results: [{ kind: 'shot_change', label: 'cut', confidence: 1 }] },
    ],
    timings: { total_ms: 20 },
    ...overrides,
  };
}

describe('flattenDetection', () => {
  it('turns frames and results into media-timed items like the REST endpoint returns', () => {
    const items = flattenDetection(detectionMessage(), 'e1');
    expect(items).toEqual([
      expect.objectContaining({ event_id: 'e1', item_index: 0, media_ts: 6.5, kind: 'logo', label: 'acme', executor: 'local', run_id: 'live', segment_sequence: 3 }),
      expect.objectContaining({ event_id: 'e1', item_index: 1, media_ts: 7, kind: 'shot_change', box: null }),
    ]);
  });
});
