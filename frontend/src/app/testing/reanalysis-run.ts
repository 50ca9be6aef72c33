import type { ReanalysisRun } from '../api/contract';

/** A run as results-api returns it, with just the fields a test cares about set. */
export function reanalysisRun(
  fields: Partial<ReanalysisRun> & Pick<ReanalysisRun, 'run_id'>,
): ReanalysisRun {
  return {
    stream_id: 's1',
    from: 0,
    to: 60,
    detectors: ['logo'],
    status: 'requested',
    progress: 0,
    segments_total: 0,
    segments_done: 0,
    rate: null,
    eta_s: null,
    created_at: '2026-11-24T00:00:00Z',
    ...fields,
  };
}
