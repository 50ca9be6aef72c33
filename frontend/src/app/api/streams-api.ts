import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import {
  DetectionItem,
  DetectionQuery,
  ExposureQuery,
  ExposureReport,
  Page,
  StreamCreate,
  StreamCreated,
  StreamSummary,
  StreamUpdate,
} from './contract';

/** Streams, their detections and their brand exposure, as results-api serves them. */
@Injectable({ providedIn: 'root' })
export class StreamsApi {
  private readonly http = inject(HttpClient);

  list(): Observable<StreamSummary[]> {
    return this.http.get<StreamSummary[]>('/api/streams');
  }

  get(id: string): Observable<StreamSummary> {
    return this.http.get<StreamSummary>(`/api/streams/${encodeURIComponent(id)}`);
  }

  create(body: StreamCreate): Observable<StreamCreated> {
    return this.http.post<StreamCreated>('/api/streams', body);
  }

  update(id: string, body: StreamUpdate): Observable<StreamSummary> {
    return this.http.patch<StreamSummary>(`/api/streams/${encodeURIComponent(id)}`, body);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(`/api/streams/${encodeURIComponent(id)}`);
  }

  /** Path of the stream's HLS playlist (live while running, VOD after); the interceptor adds the base. */
  playlistPath(id: string): string {
    return `/api/streams/${encodeURIComponent(id)}/playlist.m3u8`;
  }

  detections(id: string, query: DetectionQuery = {}): Observable<Page<DetectionItem>> {
    return this.http.get<Page<DetectionItem>>(`/api/streams/${encodeURIComponent(id)}/detections`, {
      params: toParams({ ...query }),
    });
  }

  exposure(id: string, query: ExposureQuery = {}): Observable<ExposureReport> {
    return this.http.get<ExposureReport>(`/api/streams/${encodeURIComponent(id)}/exposure`, {
      params: toParams({ ...query }),
    });
  }
}

/** Drops unset values so that the API applies its own defaults. */
export function toParams(values: Record<string, string | number | undefined | null>): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') {
      params = params.set(key, String(value));
    }
  }
  return params;
}
