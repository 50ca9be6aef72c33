import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import type { components } from '../generated/api';

type Schemas = components['schemas'];

/** The sponsor exposure report: brands, streams, windows, exposures, methodology, versions. */
export type SponsorReport = Schemas['ExposureReportDocument'];
export type ReportBrand = Schemas['BrandSummary'];
export type ReportExposure = Schemas['ReportExposure'];
/** What a 30-s spot costs on a stream (prices its exposure). */
export type RateCard = Schemas['RateCardPublic'];

export interface ReportQuery {
  streams: string[];
  from?: number | null;
  to?: number | null;
  /** A reanalysis run id; absent means the live analysis. */
  run?: string;
  /** Another run to compare with, brand by brand (e.g. `live` beside a reanalysis). */
  compare?: string;
}

/** `/api/reports/exposure` and the streams' rate cards. */
@Injectable({ providedIn: 'root' })
export class ReportsApi {
  private readonly http = inject(HttpClient);

  report(query: ReportQuery): Observable<SponsorReport> {
    return this.http.get<SponsorReport>('/api/reports/exposure', { params: reportParams(query) });
  }

  /** The report as a file: a PDF, or a CSV of brands or of exposures. */
  download(query: ReportQuery, format: 'pdf' | 'csv', table = 'brands'): Observable<Blob> {
    const params = reportParams(query).set('format', format).set('table', table);
    return this.http.get('/api/reports/exposure', { params, responseType: 'blob' });
  }

  /** An exposure's best frame with the logo's box drawn (JPEG). */
  evidence(eventId: string, itemIndex: number): Observable<Blob> {
    const path = `/api/reports/evidence/${encodeURIComponent(eventId)}/${itemIndex}`;
    return this.http.get(path, { responseType: 'blob' });
  }

  setRateCard(streamId: string, card: RateCard): Observable<RateCard> {
    return this.http.put<RateCard>(`/api/streams/${encodeURIComponent(streamId)}/rate-card`, card);
  }
}

export function reportParams(query: ReportQuery): HttpParams {
  let params = new HttpParams().set('streams', query.streams.join(','));
  if (query.from != null) params = params.set('from', query.from);
  if (query.to != null) params = params.set('to', query.to);
  if (query.run) params = params.set('run', query.run);
  if (query.compare) params = params.set('compare', query.compare);
  return params;
}
