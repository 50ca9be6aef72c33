import { reanalysisRun } from '../../testing/reanalysis-run';
import { describeProgress, isFinished, runPercent } from './run-progress';

describe('run progress', () => {
  it('takes done, failed and cancelled as final, so polling stops there', () => {
    expect(isFinished({ status: 'running' })).toBe(false);
    expect(isFinished({ status: 'requested' })).toBe(false);
    expect(isFinished({ status: 'done' })).toBe(true);
    expect(isFinished({ status: 'failed' })).toBe(true);
    expect(isFinished({ status: 'cancelled' })).toBe(true);
  });

  it("takes the API's progress, else segments done of total, bounded to 0..100", () => {
    expect(runPercent(reanalysisRun({ run_id: 'r', progress: 0.426 }))).toBe(43);
    expect(runPercent(reanalysisRun({ run_id: 'r', progress: 1.2 }))).toBe(100);
    const old = { ...reanalysisRun({ run_id: 'r', segments_done: 3, segments_total: 12 }) };
    delete (old as Partial<typeof old>).progress;
    expect(runPercent(old)).toBe(25);
  });

  it('names segments, speed as a multiple of real time and the time left', () => {
    expect(
      describeProgress(
        reanalysisRun({
          run_id: 'r',
          status: 'running',
          segments_done: 5,
          segments_total: 60,
          rate: 14.04,
          eta_s: 75,
        }),
      ),
    ).toBe('5/60 segments · 14.0× real time · ETA 0:01:15');
    expect(describeProgress(reanalysisRun({ run_id: 'r', segments_total: 60 }))).toBe(
      '0/60 segments',
    );
  });

  it('gives no time left for a run that has ended', () => {
    for (const status of ['done', 'failed', 'cancelled']) {
      expect(
        describeProgress(
          reanalysisRun({ run_id: 'r', status, segments_done: 2, segments_total: 6, eta_s: 40 }),
        ),
      ).toBe('2/6 segments');
    }
  });
});
