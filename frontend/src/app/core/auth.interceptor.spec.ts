import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { authInterceptor } from './auth.interceptor';
import { SettingsStore } from './settings';

describe('authInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    TestBed.inject(SettingsStore).save({ token: 'secret', apiBase: 'http://api.test', wsBase: '' });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
  });

  afterEach(() => backend.verify());

  it('sends /api requests to the configured base with the bearer token', () => {
    http.get('/api/streams').subscribe();
    const req = backend.expectOne('http://api.test/api/streams');
    expect(req.request.headers.get('Authorization')).toBe('Bearer secret');
    req.flush([]);
  });

  it('leaves other URLs alone', () => {
    http.get('/assets/x.json').subscribe();
    const req = backend.expectOne('/assets/x.json');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({});
  });
});
