import type { DetectionItem } from '../api/contract';

let counter = 0;

/** A detection item as results-api returns it, with just the fields a test cares about set. */
export function detectionItem(
  fields: Partial<DetectionItem> & { media_ts: number },
): DetectionItem {
  return {
    event_id: `e${++counter}`,
    item_index: 0,
    run_id: 'live',
    detector: { name: 'logo', version: '1', config_hash: 'h' },
    executor: 'local',
    segment_sequence: 0,
    kind: 'logo',
    label: 'acme',
    confidence: 0.9,
    box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 },
    area_share: 0.04,
    attributes: {},
    ...fields,
  };
}
