import { TestBed } from '@angular/core/testing';
import { setUpPage } from '../../testing/page-test-bed';
import { ZoneDrawer, formatZone } from './zone-drawer';

describe('ZoneDrawer', () => {
  it('shows the stream still and makes a zone from clicks, in normalised coordinates', async () => {
    const { backend } = setUpPage(ZoneDrawer);
    URL.createObjectURL = () => 'blob:still';
    URL.revokeObjectURL = () => undefined;
    const fixture = TestBed.createComponent(ZoneDrawer);
    fixture.componentRef.setInput('streamId', 's1');
    fixture.detectChanges();
    backend.expectOne('/api/streams/s1/snapshot').flush(new Blob(['jpeg']));
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.querySelector('img')!.getAttribute('src')).toBe('blob:still');

    const canvas = page.querySelector('[data-testid=zone-canvas]')!;
    canvas.getBoundingClientRect = () =>
      ({ left: 10, top: 20, width: 200, height: 100 }) as DOMRect;
    const click = (x: number, y: number) =>
      canvas.dispatchEvent(new MouseEvent('click', { clientX: x, clientY: y, bubbles: true }));
    click(110, 20); // the top edge's middle
    click(210, 120); // bottom right
    expect(page.querySelector('polygon')).toBeNull(); // two corners are not a zone yet
    click(110, 120);
    await fixture.whenStable();
    expect(fixture.componentInstance.zone()).toBe('0.5,0 1,1 0.5,1');
    expect(page.querySelector('polygon')!.getAttribute('points')).toBe('0.5,0 1,1 0.5,1');
    expect(page.querySelectorAll('circle')).toHaveLength(3);

    (page.querySelector('button') as HTMLButtonElement).click(); // undo
    expect(fixture.componentInstance.zone()).toBe('0.5,0 1,1');
  });

  it('says so when the stream has no stored video yet, and a typed zone still shows', async () => {
    const { backend } = setUpPage(ZoneDrawer);
    const fixture = TestBed.createComponent(ZoneDrawer);
    fixture.componentRef.setInput('streamId', 's2');
    fixture.componentInstance.zone.set('0,0 0.5,0 0.5,0.5');
    fixture.detectChanges();
    backend
      .expectOne('/api/streams/s2/snapshot')
      .flush(new Blob(['no video']), { status: 404, statusText: 'Not Found' });
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.textContent).toContain('No stored video of this stream yet');
    expect(page.querySelector('polygon')!.getAttribute('points')).toBe('0,0 0.5,0 0.5,0.5');
  });

  it('rounds and clamps corners to the frame', () => {
    expect(
      formatZone([
        { x: 0.12345, y: -0.2 },
        { x: 1.4, y: 0.5 },
      ]),
    ).toBe('0.123,0 1,0.5');
  });
});
