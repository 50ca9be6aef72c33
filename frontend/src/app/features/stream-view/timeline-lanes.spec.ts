import { detectionItem } from '../../testing/detection-item';
import { buildLanes } from './timeline-lanes';

const at = (media_ts: number, label: string, kind = 'logo', confidence = 0.9) =>
  detectionItem({ media_ts, kind, label, confidence });

describe('buildLanes', () => {
  it('merges close sightings of a brand into spans and splits at gaps', () => {
    const lanes = buildLanes([
      at(0, 'acme'),
      at(0.5, 'acme'),
      at(1, 'acme'),
      at(10, 'acme'),
      at(2, 'zeta'),
    ]);
    expect(lanes).toMatchObject([
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
    expect(lanes[0].spans[0].best?.eventId).toBeDefined(); // a brand span keeps its best frame
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

  it('gives brands their own lanes first and every other kind one lane whatever its labels', () => {
    const lanes = buildLanes([
      at(0, 'HELLO', 'text'),
      at(0.5, 'WORLD', 'text'),
      at(0, 'face', 'face'),
      at(3, 'zeta'),
      at(1, 'acme'),
    ]);
    expect(lanes.map((l) => `${l.kind}:${l.label}`)).toEqual([
      'logo:acme',
      'logo:zeta',
      'face:face',
      'text:text',
    ]);
    expect(lanes[3].spans).toEqual([{ start: 0, end: 0.5, count: 2 }]);
  });

  it('puts a hundred dominant colours on one palette strip, the most dominant per frame', () => {
    const colours = Array.from({ length: 100 }, (_, i) =>
      at(i % 10, `#${i.toString(16).padStart(6, '0')}`, 'colour', i / 100),
    );
    const lanes = buildLanes([at(0, 'acme'), ...colours]);
    expect(lanes.map((l) => l.label)).toEqual(['acme', 'palette']);
    const palette = lanes[1];
    expect(palette.palette).toBe(true);
    expect(palette.spans).toHaveLength(10);
    expect(palette.spans[0]).toEqual({ start: 0, end: 1, count: 1, colour: '#00005a' });
  });

  it('joins neighbouring frames of the same dominant colour into one palette span', () => {
    const lanes = buildLanes([
      at(0, '#ff0000', 'colour'),
      at(1, '#ff0000', 'colour'),
      at(2, '#0000ff', 'colour'),
    ]);
    expect(lanes[0].spans).toEqual([
      { start: 0, end: 2, count: 2, colour: '#ff0000' },
      { start: 2, end: 2, count: 1, colour: '#0000ff' },
    ]);
  });
});
