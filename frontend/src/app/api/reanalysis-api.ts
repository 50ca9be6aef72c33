import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { ReanalysisCreate, ReanalysisRun, RunDiff } from './contract';

/** How many of a stream's runs the screens list (the API's default). */
const RUN_LIST_LIMIT = 50;

/** Re-running detectors over stored segments, and comparing runs. */
@Injectable({ providedIn: 'root' })
export class ReanalysisApi {
  private readonly http = inject(HttpClient);

  start(body: ReanalysisCreate): Observable<ReanalysisRun> {
    return this.http.post<ReanalysisRun>('/api/reanalysis', body);
  }

  /** A stream's runs, newest first, wherever they were started (this dashboard or the CLI). */
  list(streamId: string, limit = RUN_LIST_LIMIT): Observable<ReanalysisRun[]> {
    return this.http.get<ReanalysisRun[]>('/api/reanalysis', {
      params: { stream_id: streamId, limit },
    });
  }

  get(runId: string): Observable<ReanalysisRun> {
    return this.http.get<ReanalysisRun>(`/api/reanalysis/${encodeURIComponent(runId)}`);
  }

  /** Stops a run; what it produced so far stays. */
  cancel(runId: string): Observable<ReanalysisRun> {
    return this.http.post<ReanalysisRun>(`/api/reanalysis/${encodeURIComponent(runId)}/cancel`, {});
  }

  diff(runId: string, against: string): Observable<RunDiff> {
    return this.http.get<RunDiff>(`/api/reanalysis/${encodeURIComponent(runId)}/diff`, {
      params: { against },
    });
  }
}
