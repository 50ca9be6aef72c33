import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { StreamsApi } from './streams-api';

describe('StreamsApi', () => {
  let api: StreamsApi;
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    api = TestBed.inject(StreamsApi);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it('creates a stream and returns the key shown once', () => {
    let key = '';
    api
      .create({ name: 'Match', source: { kind: 'rtmp' } })
      .subscribe((created) => (key = created.stream_key));
    const req = backend.expectOne({ method: 'POST', url: '/api/streams' });
    expect(req.request.body).toEqual({ name: 'Match', source: { kind: 'rtmp' } });
    req.flush(
      { id: 's1', stream_key: 'k3y', rtmp_url: 'rtmp://127.0.0.1:1935/live' },
      { status: 201, statusText: 'Created' },
    );
    expect(key).toBe('k3y');
  });

  it('queries detections by media-time range, kind and cursor, leaving unset filters out', () => {
    api
      .detections('s 1', { from: 10, to: 20, kind: 'logo', cursor: 'c2', label: undefined })
      .subscribe();
    const req = backend.expectOne((r) => r.url === '/api/streams/s%201/detections');
    expect(req.request.params.keys().sort()).toEqual(['cursor', 'from', 'kind', 'to']);
    expect(req.request.params.get('from')).toBe('10');
    req.flush({ items: [], next_cursor: null });
  });

  it('asks for exposure with a window', () => {
    api.exposure('s1', { window: 30 }).subscribe();
    const req = backend.expectOne((r) => r.url === '/api/streams/s1/exposure');
    expect(req.request.params.get('window')).toBe('30');
    req.flush({ totals: [], windows: [] });
  });

  it('updates and deletes by id', () => {
    api.update('s1', { enabled: false }).subscribe();
    backend.expectOne({ method: 'PATCH', url: '/api/streams/s1' }).flush({});
    api.remove('s1').subscribe();
    backend
      .expectOne({ method: 'DELETE', url: '/api/streams/s1' })
      .flush(null, { status: 204, statusText: 'No Content' });
  });
});
