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

  it("numbers results on the previous segment's frames after the segment's own, in that segment", () => {
    const earlier = [
      { media_ts: 5.5, results: [{ kind: 'logo', label: 'acme', confidence: 0.8 }] },
    ];
    const items = flattenDetection(detectionMessage({ earlier_frames: earlier }), 'e1');
    expect(items.map((i) => [i.item_index, i.segment_sequence, i.media_ts])).toEqual([
      [0, 3, 6.5],
      [1, 3, 7],
      [2, 2, 5.5],
    ]);
  });
});
