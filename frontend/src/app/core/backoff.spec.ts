import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from one second and caps at thirty', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });

  it('subtracts at most 20 % jitter', () => {
    expect(backoffDelay(2, () => 1)).toBe(3200);
  });
});
