import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { PlaybackUrl } from './contract';

/** Where the video player loads a stream's HLS: short-lived signed URLs, never the token. */
@Injectable({ providedIn: 'root' })
export class PlaybackApi {
  private readonly http = inject(HttpClient);

  /**
   * A signed URL of the stream's HLS playlist (live while running, VOD after); the player loads
   * it without the token, so no token is ever put in a URL. Ask again before `expires_at`.
   */
  playback(streamId: string): Observable<PlaybackUrl> {
    return this.http.get<PlaybackUrl>(`/api/streams/${encodeURIComponent(streamId)}/playback`);
  }
}
