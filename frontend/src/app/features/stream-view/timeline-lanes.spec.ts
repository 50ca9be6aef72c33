import { detectionItem } from '../../testing/detection-item';
import { buildLanes } from './timeline-lanes';

const at = (media_ts: number, label: string, kind = 'logo') =>
  detectionItem({ media_ts, kind, label });

describe('buildLanes', () => {
  it('merges close sightings of a brand into spans and splits at gaps', () => {
    const lanes = buildLanes([
      at(0, 'acme'),
      at(0.5, 'acme'),
      at(1, 'acme'),
      at(10, 'acme'),
      at(2, 'zeta'),
    ]);
    expect(lanes).toEqual([
      {
        kind: 'logo',
        label: 'acme',
        spans: [
          { start: 0, end: 1, count: 3 },
          { start: 10, end: 10, count: 1 },
        ],
      },
      { kind: 'logo', label: 'zeta', spans: [{ start: 2, end: 2, count: 1 }] },
    ]);
  });

  it('puts every scene change on one lane as separate moments', () => {
    const lanes = buildLanes([at(1, 'cut', 'shot_change'), at(1.2, 'fade', 'shot_change')]);
    expect(lanes).toEqual([
      {
        kind: 'shot_change',
        label: 'scene change',
        spans: [
          { start: 1, end: 1, count: 1 },
          { start: 1.2, end: 1.2, count: 1 },
        ],
      },
    ]);
  });
});
