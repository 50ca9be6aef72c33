import type { Detection } from '../generated/messages';

/** A detection message as the notifier relays it: a logo at 6.5 s and a cut at 7 s in segment 3. */
export function detectionMessage(overrides: Partial<Detection> = {}): Detection {
  return {
    stream_id: 's1',
    segment: { sequence: 3, bucket: 'b', object_key: 'k', media_start: 6, duration: 2 },
    run_id: 'live',
    detector: { name: 'logo', version: '1.0', config_hash: 'h' },
    executor: { kind: 'local', latency_ms: 12 },
    frames: [
      {
        media_ts: 6.5,
        results: [
          { kind: 'logo', label: 'acme', confidence: 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.1 } },
        ],
      },
      { media_ts: 7, results: [{ kind: 'shot_change', label: 'cut', confidence: 1 }] },
    ],
    timings: { total_ms: 20 },
    ...overrides,
  };
}
