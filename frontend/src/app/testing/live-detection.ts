import type { DetectionItem } from '../api/contract';
import { flattenDetection } from '../core/live-events';
import { detectionMessage } from './detection-message';

/**
 * One detection of one result, both ways a dashboard can receive it: the notifier's event frame
 * and the item results-api lists for it (same `event_id` + `item_index`).
 */
export function liveDetection(
  eventId: string,
  mediaTs: number,
  label: string,
  { streamId = 's1', detector = 'logo', kind = 'logo' } = {},
): { frame: object; item: DetectionItem } {
  const payload = detectionMessage({
    stream_id: streamId,
    segment: {
      sequence: Math.floor(mediaTs / 2),
      bucket: 'b',
      object_key: 'k',
      media_start: Math.floor(mediaTs / 2) * 2,
      duration: 2,
    },
    detector: { name: detector, version: '1.0', config_hash: 'h' },
    frames: [{ media_ts: mediaTs, results: [{ kind, label, confidence: 0.9 }] }],
  });
  return {
    frame: { type: 'detection', event_id: eventId, stream_id: streamId, payload },
    item: flattenDetection(payload, eventId)[0],
  };
}
