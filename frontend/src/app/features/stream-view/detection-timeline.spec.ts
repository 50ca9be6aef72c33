import { TestBed } from '@angular/core/testing';
import { detectionItem } from '../../testing/detection-item';
import { DetectionTimeline } from './detection-timeline';

describe('DetectionTimeline', () => {
  it('draws a lane per brand and seeks to a span when it is clicked', async () => {
    const fixture = TestBed.createComponent(DetectionTimeline);
    const items = [
      detectionItem({ media_ts: 4, label: 'acme' }),
      detectionItem({ media_ts: 8, kind: 'face', label: 'Ann' }),
    ];
    fixture.componentRef.setInput('items', items);
    fixture.componentRef.setInput('duration', 20);
    await fixture.whenStable();
    const seeks: number[] = [];
    fixture.componentInstance.seek.subscribe((t) => seeks.push(t));
    const spans = fixture.nativeElement.querySelectorAll(
      'button.span',
    ) as NodeListOf<HTMLButtonElement>;
    expect(
      [...fixture.nativeElement.querySelectorAll('.lane-label')].map((e) =>
        (e as HTMLElement).textContent?.trim(),
      ),
    ).toEqual(['Ann', 'acme']);
    expect(spans[1].style.left).toBe('20%');
    spans[1].click();
    expect(seeks).toEqual([4]);
  });
});
