import { Injectable, signal } from '@angular/core';
import type { ReanalysisRun } from '../../api/contract';

const KEY = 'sightline.reanalysis-runs';
const LIMIT = 50;

/**
 * The runs started from this browser, newest first, so that an analyst finds them again after a
 * reload (the API looks runs up by id).
 */
@Injectable({ providedIn: 'root' })
export class RunHistory {
  readonly runs = signal<ReanalysisRun[]>(read());

  remember(run: ReanalysisRun): void {
    this.runs.update((runs) =>
      [run, ...runs.filter((r) => r.run_id !== run.run_id)].slice(0, LIMIT),
    );
    localStorage.setItem(KEY, JSON.stringify(this.runs()));
  }
}

function read(): ReanalysisRun[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as ReanalysisRun[];
  } catch {
    return [];
  }
}
