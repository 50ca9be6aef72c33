import type { DetectionItem } from '../../api/contract';
import { detectionItem } from '../../testing/detection-item';
import { DetectionIndex } from './detection-index';

function item(media_ts: number, label = 'acme', kind = 'logo', detector = 'logo'): DetectionItem {
  return detectionItem({
    event_id: `${detector}-${media_ts}`,
    item_index: label.charCodeAt(0),
    media_ts,
    kind,
    label,
    detector: { name: detector, version: '1', config_hash: 'h' },
  });
}

describe('DetectionIndex', () => {
  it('keeps items ordered by media time and ignores duplicates from backfill and live feed', () => {
    const index = new DetectionIndex();
    expect(index.add([item(3), item(1), item(2)])).toBe(3);
    expect(index.add([item(2), item(4)])).toBe(1);
    expect(index.all().map((i) => i.media_ts)).toEqual([1, 2, 3, 4]);
    expect(index.end()).toBe(4);
  });

  it('shows the newest frame at or before the current time, per detector and kind', () => {
    const index = new DetectionIndex();
    index.add([
      item(1.0, 'acme'),
      item(1.5, 'acme'),
      item(1.5, 'zeta'),
      item(2.0, 'acme'),
      item(1.4, 'Ann', 'face', 'visual'),
    ]);
    expect(index.at(1.7).map((i) => `${i.kind}:${i.label}@${i.media_ts}`)).toEqual([
      'face:Ann@1.4',
      'logo:acme@1.5',
      'logo:zeta@1.5',
    ]);
  });

  it('shows nothing once the last sample is older than the hold time, nor before the first', () => {
    const index = new DetectionIndex();
    index.add([item(5)]);
    expect(index.at(4)).toEqual([]);
    expect(index.at(5.5)).toHaveLength(1);
    expect(index.at(6)).toEqual([]);
  });
});
