import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { StorageReport } from '../../api/contract';
import { StoragePage } from './storage-page';

const report = (videoS: number | null, warning: string | null): StorageReport => ({
  store: {
    used_bytes: 900,
    total_bytes: 1000,
    free_bytes: 100,
    fill: 0.9,
    source: 'capacity setting',
  },
  warn_fraction: 0.8,
  evict_fraction: 0.95,
  video_min_retention_s: 86_400,
  warning,
  streams: [
    {
      stream_id: 's1',
      name: 'Court 1',
      bytes: 1536,
      segments: 3,
      oldest: '2026-12-05T10:00:00Z',
      newest: '2026-12-05T10:00:06Z',
      retention: { video_s: videoS, results_s: null },
      effective_retention: { video_s: videoS ?? 0, results_s: 0 },
      video_kept_from: null,
      pins: 1,
    },
  ],
});

describe('Storage page', () => {
  it('shows the store, the warning and bytes per stream, and saves a retention typed in days', async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(StoragePage);
    await fixture.whenStable();
    backend.expectOne('/api/storage').flush(report(null, 'object store 90% full'));
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.querySelector('[data-testid=storage-warning]')?.textContent).toContain('90% full');
    expect(page.querySelector('[data-testid=store-space]')?.textContent).toContain('90.0 %');
    expect(page.querySelector('[data-testid=stored-s1]')?.textContent).toContain('1.5 KB');
    expect(page.querySelector('[data-testid=video-kept-s1]')?.textContent).toContain('for ever');

    const input = page.querySelector('[data-testid=video-days-s1]') as HTMLInputElement;
    input.value = '7';
    input.dispatchEvent(new Event('input'));
    (page.querySelector('button[aria-label="Save retention of Court 1"]') as HTMLElement).click();
    const patch = backend.expectOne({ method: 'PATCH', url: '/api/streams/s1' });
    expect(patch.request.body).toEqual({ retention: { video_s: 604_800, results_s: null } });
    patch.flush({});
    backend.expectOne('/api/storage').flush(report(604_800, null));
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=video-kept-s1]')?.textContent).toContain('7 days');
    expect(page.querySelector('[data-testid=storage-warning]')).toBeNull();
    expect(page.querySelector('[data-testid=storage-saved]')?.textContent).toContain('Court 1');
  });

  it('lists the pins of a stream, pins a stretch and unpins it', async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(StoragePage);
    await fixture.whenStable();
    backend.expectOne('/api/storage').flush(report(null, null));
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    (page.querySelector('[data-testid=pins-s1]') as HTMLElement).click();
    backend.expectOne('/api/streams/s1/pins').flush([]);
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=pins-panel]')?.textContent).toContain('Nothing pinned');

    for (const [id, value] of [
      ['pin-from', '60'],
      ['pin-to', '90'],
      ['pin-reason', 'sponsor report'],
    ]) {
      const field = page.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
      field.value = value;
      field.dispatchEvent(new Event('input'));
    }
    (page.querySelector('[data-testid=pin-add]') as HTMLElement).click();
    const post = backend.expectOne({ method: 'POST', url: '/api/streams/s1/pins' });
    expect(post.request.body).toEqual({ from: 60, to: 90, reason: 'sponsor report' });
    post.flush({});
    const pin = { id: 'p1', stream_id: 's1', from: 60, to: 90, reason: 'sponsor report' };
    backend
      .expectOne('/api/streams/s1/pins')
      .flush([{ ...pin, created_at: '2026-12-05T10:00:00Z' }]);
    backend.expectOne('/api/storage').flush(report(null, null));
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=pins-panel]')?.textContent).toContain(
      '0:01:00–0:01:30',
    );

    (page.querySelector('button[aria-label="Unpin 0:01:00–0:01:30"]') as HTMLElement).click();
    backend.expectOne({ method: 'DELETE', url: '/api/streams/s1/pins/p1' }).flush(null);
    backend.expectOne('/api/streams/s1/pins').flush([]);
    backend.expectOne('/api/storage').flush(report(null, null));
    backend.verify();
  });
});
