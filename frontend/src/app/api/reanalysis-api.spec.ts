import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { reanalysisRun } from '../testing/reanalysis-run';
import { ReanalysisApi } from './reanalysis-api';

describe('ReanalysisApi', () => {
  let api: ReanalysisApi;
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    api = TestBed.inject(ReanalysisApi);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it("lists a stream's runs, newest first as the API answers", () => {
    let ids: string[] = [];
    api.list('s 1').subscribe((runs) => (ids = runs.map((run) => run.run_id)));
    const req = backend.expectOne((r) => r.method === 'GET' && r.url === '/api/reanalysis');
    expect(req.request.params.get('stream_id')).toBe('s 1');
    expect(req.request.params.get('limit')).toBe('50');
    req.flush([reanalysisRun({ run_id: 'r2' }), reanalysisRun({ run_id: 'r1' })]);
    expect(ids).toEqual(['r2', 'r1']);
  });

  it('gets, cancels and compares a run by its escaped id', () => {
    api.get('r/1').subscribe();
    backend
      .expectOne({ method: 'GET', url: '/api/reanalysis/r%2F1' })
      .flush(reanalysisRun({ run_id: 'r/1' }));
    api.cancel('r1').subscribe();
    backend
      .expectOne({ method: 'POST', url: '/api/reanalysis/r1/cancel' })
      .flush(reanalysisRun({ run_id: 'r1' }));
    api.diff('r1', 'live').subscribe();
    const diff = backend.expectOne((r) => r.url === '/api/reanalysis/r1/diff');
    expect(diff.request.params.get('against')).toBe('live');
    diff.flush({});
  });
});
