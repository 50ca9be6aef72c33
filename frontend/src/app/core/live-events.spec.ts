import { detectionMessage } from '../testing/detection-message';
import { flattenDetection } from './live-events';

describe('flattenDetection', () => {
  it('turns frames and results into media-timed items like the REST endpoint returns', () => {
    const items = flattenDetection(detectionMessage(), 'e1');
    expect(items).toEqual([
      expect.objectContaining({
        event_id: 'e1',
        item_index: 0,
        media_ts: 6.5,
        kind: 'logo',
        label: 'acme',
        executor: 'local',
        run_id: 'live',
        segment_sequence: 3,
      }),
      expect.objectContaining({
        event_id: 'e1',
        item_index: 1,
        media_ts: 7,
        kind: 'shot_change',
        box: null,
      }),
    ]);
  });
});
