import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { EMPTY, Observable, expand, reduce, take } from 'rxjs';
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

  /** Streams oldest first; archived ones only with `archived` (on-air ones always). */
  list(query: { archived?: boolean } = {}): Observable<StreamSummary[]> {
    const params = query.archived ? new HttpParams().set('archived', true) : undefined;
    return this.http.get<StreamSummary[]>('/api/streams', { params });
  }

  get(id: string): Observable<StreamSummary> {
    return this.http.get<StreamSummary>(`/api/streams/${encodeURIComponent(id)}`);
  }

  /** A still of the stream's newest stored video (JPEG), e.g. to draw an alert zone on. */
  snapshot(id: string): Observable<Blob> {
    return this.http.get(`/api/streams/${encodeURIComponent(id)}/snapshot`, {
      responseType: 'blob',
    });
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

  detections(id: string, query: DetectionQuery = {}): Observable<Page<DetectionItem>> {
    return this.http.get<Page<DetectionItem>>(`/api/streams/${encodeURIComponent(id)}/detections`, {
      params: toParams({ ...query }),
    });
  }

  /**
   * Every page of a detections query, oldest first, following `next_cursor` for at most
   * `maxPages` pages; `complete` is false when more remained after the last page fetched.
   */
  allDetections(
    id: string,
    query: Omit<DetectionQuery, 'cursor'>,
    maxPages: number,
  ): Observable<DetectionPages> {
    const page = (cursor?: string) => this.detections(id, { ...query, cursor });
    return page().pipe(
      expand((result) => (result.next_cursor ? page(result.next_cursor) : EMPTY)),
      take(maxPages),
      reduce<Page<DetectionItem>, DetectionPages>(
        (all, result) => ({
          items: all.items.concat(result.items),
          complete: result.next_cursor === null,
        }),
        { items: [], complete: false },
      ),
    );
  }

  exposure(id: string, query: ExposureQuery = {}): Observable<ExposureReport> {
    return this.http.get<ExposureReport>(`/api/streams/${encodeURIComponent(id)}/exposure`, {
      params: toParams({ ...query }),
    });
  }
}

/** Detections gathered from several pages; `complete` is false when a page limit cut them short. */
export interface DetectionPages {
  items: DetectionItem[];
  complete: boolean;
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
