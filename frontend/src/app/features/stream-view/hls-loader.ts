import type Hls from 'hls.js';

/**
 * hls.js is ~500 kB: it is imported only when a player opens, keeping the initial bundle small.
 * Cached so that every player after the first gets it at once.
 */
let loading: Promise<typeof Hls> | null = null;

export function loadHls(): Promise<typeof Hls> {
  loading ??= import('hls.js').then((module) => module.default);
  return loading;
}
