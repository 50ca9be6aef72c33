import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { Pin, Retention, StorageReport, StreamSummary } from './contract';

/** What storage holds and how full it is; each stream's retention. */
@Injectable({ providedIn: 'root' })
export class StorageApi {
  private readonly http = inject(HttpClient);

  report(): Observable<StorageReport> {
    return this.http.get<StorageReport>('/api/storage');
  }

  /** A stream's own lifetimes (seconds; null follows the default, 0 keeps for ever). */
  setRetention(streamId: string, retention: Retention): Observable<StreamSummary> {
    return this.http.patch<StreamSummary>(`/api/streams/${encodeURIComponent(streamId)}`, {
      retention,
    });
  }

  pins(streamId: string): Observable<Pin[]> {
    return this.http.get<Pin[]>(`/api/streams/${encodeURIComponent(streamId)}/pins`);
  }

  pin(streamId: string, from: number, to: number, reason: string): Observable<Pin> {
    return this.http.post<Pin>(`/api/streams/${encodeURIComponent(streamId)}/pins`, {
      from,
      to,
      reason,
    });
  }

  unpin(streamId: string, pinId: string): Observable<void> {
    return this.http.delete<void>(
      `/api/streams/${encodeURIComponent(streamId)}/pins/${encodeURIComponent(pinId)}`,
    );
  }
}
