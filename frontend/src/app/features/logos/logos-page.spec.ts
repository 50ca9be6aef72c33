import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import {
  LOGOS_PAGE_SIZE,
  LogosPage,
  brandFromFileName,
  filterLogos,
  rejectReason,
} from './logos-page';

describe('Logo library', () => {
  it('names the brand from the file name', () => {
    expect(brandFromFileName('acme-cola_logo.png')).toBe('acme cola logo');
  });

  it('rejects files that are not images before uploading', () => {
    expect(rejectReason(new File(['x'], 'notes.txt', { type: 'text/plain' }))).toContain(
      'not an image',
    );
    expect(rejectReason(new File(['x'], 'a.png', { type: 'image/png' }))).toBeNull();
  });

  it('lists logos, uploads a dropped image and shows an API error as a message', async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(LogosPage);
    await fixture.whenStable();
    backend.expectOne('/api/logos').flush([{ id: 'l1', brand: 'Acme' }]);
    await fixture.whenStable();
    backend.expectOne('/api/logos/l1/image').flush(new Blob());
    expect(fixture.nativeElement.textContent).toContain('Acme');

    fixture.componentInstance.upload([new File(['x'], 'zeta.png', { type: 'image/png' })]);
    const upload = backend.expectOne({ method: 'POST', url: '/api/logos' });
    expect((upload.request.body as FormData).get('brand')).toBe('zeta');
    upload.flush({ detail: 'image too large' }, { status: 413, statusText: 'Payload Too Large' });
    await fixture.whenStable();
    expect(fixture.nativeElement.querySelector('[role=alert]').textContent).toContain(
      'zeta.png: image too large (HTTP 413)',
    );
  });

  it('pages a long library and finds a brand in it', async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(LogosPage);
    await fixture.whenStable();
    const library = Array.from({ length: 30 }, (_, i) => ({ id: `l${i}`, brand: `Brand ${i}` }));
    backend.expectOne('/api/logos').flush(library);
    await fixture.whenStable();
    const thumbnails = () => backend.match((r) => r.url.endsWith('/image')).length;
    const page = fixture.nativeElement as HTMLElement;
    const tiles = () => page.querySelectorAll('[data-testid=logo-grid] figure').length;
    expect(tiles()).toBe(LOGOS_PAGE_SIZE);
    expect(thumbnails()).toBe(LOGOS_PAGE_SIZE); // only the page shown loads its images
    expect(page.querySelector('[data-testid=logos-pager]')!.textContent).toContain('1–24 of 30');

    const [, next] = [...page.querySelectorAll('[data-testid=logos-pager] button')];
    (next as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(tiles()).toBe(6);
    expect(page.querySelector('[data-testid=logos-pager]')!.textContent).toContain('25–30 of 30');

    const find = page.querySelector('[data-testid=logos-filter]') as HTMLInputElement;
    find.value = 'brand 2';
    find.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(page.querySelector('[data-testid=logo-grid]')!.textContent).toContain('Brand 29');
    expect(tiles()).toBe(11); // Brand 2 and Brand 20..29, back on the first page
    expect(page.querySelector('[data-testid=logos-pager]')).toBeNull();
    find.value = 'zenith';
    find.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(page.textContent).toContain('No brand matches "zenith"');
    thumbnails();
    backend.verify();
  });

  it('filters by brand, any case', () => {
    const logos = [
      { id: 'a', brand: 'Acme' },
      { id: 'b', brand: 'Zenith' },
    ] as Parameters<typeof filterLogos>[0];
    expect(filterLogos(logos, ' ACM ').map((l) => l.id)).toEqual(['a']);
    expect(filterLogos(logos, '')).toHaveLength(2);
  });
});
