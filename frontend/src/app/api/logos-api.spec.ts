import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { LogosApi } from './logos-api';
import { ReanalysisApi } from './reanalysis-api';

describe('LogosApi and ReanalysisApi', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it('uploads a logo as multipart with brand and image', () => {
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'acme.png', { type: 'image/png' });
    TestBed.inject(LogosApi).upload('Acme', file).subscribe();
    const req = backend.expectOne({ method: 'POST', url: '/api/logos' });
    const form = req.request.body as FormData;
    expect(form.get('brand')).toBe('Acme');
    expect((form.get('image') as File).name).toBe('acme.png');
    req.flush({ id: 'l1', brand: 'Acme' }, { status: 201, statusText: 'Created' });
  });

  it('fetches a logo image as a blob', () => {
    TestBed.inject(LogosApi).image('l1').subscribe();
    const req = backend.expectOne('/api/logos/l1/image');
    expect(req.request.responseType).toBe('blob');
    req.flush(new Blob());
  });

  it('asks for the diff of a run against another', () => {
    TestBed.inject(ReanalysisApi).diff('r2', 'live').subscribe();
    const req = backend.expectOne((r) => r.url === '/api/reanalysis/r2/diff');
    expect(req.request.params.get('against')).toBe('live');
    req.flush({ run_id: 'r2', against: 'live', added: [], removed: [], changed: [] });
  });
});
