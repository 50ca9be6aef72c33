import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { PlaybackApi } from './playback-api';

describe('PlaybackApi', () => {
  it("asks for the stream's signed playlist URL with the API's auth, not in the URL", async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const answer = firstValueFrom(TestBed.inject(PlaybackApi).playback('a b'));
    const request = backend.expectOne('/api/streams/a%20b/playback');
    expect(request.request.method).toBe('GET');
    expect(request.request.urlWithParams).not.toContain('token');
    request.flush({
      playlist_url: '/api/hls/streams/a%20b/playlist.m3u8?exp=1&sig=x',
      expires_at: '2026-01-01T00:00:00Z',
    });
    expect((await answer).playlist_url).toContain('sig=x');
    backend.verify();
  });
});
