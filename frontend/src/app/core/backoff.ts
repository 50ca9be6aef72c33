/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from `baseMs`, capped at
 * `maxMs`, with up to 20 % jitter subtracted so that many dashboards do not reconnect in step.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 1000,
  maxMs = 30000,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exponential * (1 - 0.2 * random()));
}
