import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { LogosPage, brandFromFileName, rejectReason } from './logos-page';

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
});
