import { TestBed } from '@angular/core/testing';
import { Subject } from 'rxjs';
import { detectionItem } from '../testing/detection-item';
import { GapFill, GapFillResult, missedStreams, resumePoint } from './gap-fill';

describe('gap fill', () => {
  it('counts every watched stream as missed on dropped, and only the named ones on resync', () => {
    const watched = ['s1', 's2'];
    expect(missedStreams({ type: 'dropped', count: 4 }, watched)).toEqual(['s1', 's2']);
    expect(missedStreams({ type: 'resync', streams: ['s2', 's9'], reason: 'r' }, watched)).toEqual([
      's2',
    ]);
    expect(missedStreams({ type: 'resync', streams: ['*'], reason: 'r' }, watched)).toEqual(
      watched,
    );
    expect(missedStreams({ type: 'subscribed', streams: ['s1'] }, watched)).toEqual([]);
  });

  it("resumes at the oldest of each detector's newest item, or from the start when nothing is held", () => {
    const visual = { name: 'visual', version: '1', config_hash: 'h' };
    expect(
      resumePoint([
        detectionItem({ media_ts: 20 }),
        detectionItem({ media_ts: 31 }),
        detectionItem({ media_ts: 18, detector: visual }),
        detectionItem({ media_ts: 27, detector: visual }),
      ]),
    ).toBe(27);
    expect(resumePoint([])).toBe(0);
  });

  it('keeps the earliest unfilled point across gaps and failures until a fill succeeds', () => {
    const asked: number[] = [];
    const answers: Subject<GapFillResult>[] = [];
    const gap = TestBed.runInInjectionContext(
      () =>
        new GapFill<number>((from) => {
          asked.push(from);
          return answers[answers.push(new Subject<GapFillResult>()) - 1];
        }, Math.min),
    );
    gap.open(9);
    gap.open(15);
    expect(asked).toEqual([9, 9]);
    expect(answers[0].observed).toBe(false);
    answers[1].error(new Error('offline'));
    expect(gap.state()).toEqual({ phase: 'failed', error: 'offline' });
    gap.retry();
    answers[2].next({ summary: '2 missed detections reloaded', complete: true });
    expect(gap.state()).toEqual({
      phase: 'filled',
      summary: '2 missed detections reloaded',
      complete: true,
    });
    gap.open(20);
    expect(asked).toEqual([9, 9, 9, 20]);
  });
});
