import { TestBed } from '@angular/core/testing';
import { detectionItem } from '../../testing/detection-item';
import { setUpPage } from '../../testing/page-test-bed';
import { DetectionTimeline } from './detection-timeline';

describe('DetectionTimeline', () => {
  it('draws brand lanes first, a lane per other kind, and seeks to a span when clicked', async () => {
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
    ).toEqual(['acme', 'face']);
    expect(spans[0].style.left).toBe('20%');
    spans[0].click();
    expect(seeks).toEqual([4]);
  });

  it('paints the dominant colours on one palette strip in their own colours', async () => {
    const fixture = TestBed.createComponent(DetectionTimeline);
    const colours = ['#ff0000', '#00ff00', '#0000ff', '#ffff00'].map((label, i) =>
      detectionItem({ media_ts: i, kind: 'colour', label, confidence: 0.5 }),
    );
    fixture.componentRef.setInput('items', colours);
    fixture.componentRef.setInput('duration', 4);
    await fixture.whenStable();
    const lanes = fixture.nativeElement.querySelectorAll('.lane') as NodeListOf<HTMLElement>;
    expect(lanes).toHaveLength(1);
    expect(lanes[0].dataset['lane']).toBe('colour:palette');
    const spans = lanes[0].querySelectorAll('button.span') as NodeListOf<HTMLButtonElement>;
    expect(spans[0].style.background).toBe('rgb(255, 0, 0)');
    expect(spans[0].title).toContain('#ff0000');
  });

  it('puts alert markers on a lane of their own, resolved ones apart, and seeks to one', async () => {
    const fixture = TestBed.createComponent(DetectionTimeline);
    fixture.componentRef.setInput('items', [detectionItem({ media_ts: 4, label: 'acme' })]);
    fixture.componentRef.setInput('duration', 20);
    fixture.componentRef.setInput('alerts', [
      { at: 5, status: 'fired', alertId: 'a1', label: 'acme 10 s fired' },
      { at: 15, status: 'resolved', alertId: 'a1', label: 'acme 10 s resolved' },
    ]);
    await fixture.whenStable();
    const seeks: number[] = [];
    fixture.componentInstance.seek.subscribe((t) => seeks.push(t));
    const lanes = fixture.nativeElement.querySelectorAll('.lane') as NodeListOf<HTMLElement>;
    expect(lanes[0].dataset['lane']).toBe('alerts');
    const markers = lanes[0].querySelectorAll(
      '[data-testid=alert-marker]',
    ) as NodeListOf<HTMLButtonElement>;
    expect([...markers].map((m) => m.style.left)).toEqual(['25%', '75%']);
    expect(markers[1].classList).toContain('resolved');
    markers[1].click();
    expect(seeks).toEqual([15]);
  });

  it('previews a brand span with the frame of its largest sighting while hovered', async () => {
    const { backend } = setUpPage(DetectionTimeline);
    URL.createObjectURL = () => 'blob:frame';
    URL.revokeObjectURL = () => undefined;
    const fixture = TestBed.createComponent(DetectionTimeline);
    fixture.componentRef.setInput('items', [
      detectionItem({
        media_ts: 4,
        label: 'acme',
        event_id: 'e1',
        item_index: 0,
        area_share: 0.01,
      }),
      detectionItem({
        media_ts: 5,
        label: 'acme',
        event_id: 'e2',
        item_index: 3,
        area_share: 0.05,
      }),
      detectionItem({
        media_ts: 6,
        label: 'acme',
        event_id: 'e3',
        item_index: 1,
        area_share: 0.02,
      }),
      detectionItem({ media_ts: 8, kind: 'face', label: 'Ann' }),
    ]);
    fixture.componentRef.setInput('duration', 20);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    const [acme, face] = [...page.querySelectorAll('button.span')] as HTMLButtonElement[];
    face.dispatchEvent(new MouseEvent('mouseenter'));
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=timeline-preview]')).toBeNull(); // brands only
    acme.dispatchEvent(new MouseEvent('mouseenter'));
    await fixture.whenStable();
    backend.expectOne('/api/reports/evidence/e2/3').flush(new Blob(['jpeg']));
    await fixture.whenStable();
    const preview = page.querySelector('[data-testid=timeline-preview]') as HTMLElement;
    expect(preview.style.left).toBe('25%');
    expect(preview.querySelector('img')!.getAttribute('alt')).toBe('acme at 0:00:05');
    acme.dispatchEvent(new MouseEvent('mouseleave'));
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=timeline-preview]')).toBeNull();
  });
});
