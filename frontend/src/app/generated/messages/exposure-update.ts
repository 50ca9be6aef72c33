/* Generated from schemas/exposure-update.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `exposure.update`, version 1, on the `exposure` topic keyed by stream_id: the current brand exposure of one media-time window of one stream and run, republished whenever a detection changes it (the latest per stream, run and window_start wins).
 */
export interface ExposureUpdate {
  stream_id: string;
  run_id: string;
  /**
   * Stream time, seconds (inclusive).
   */
  window_start: number;
  /**
   * Stream time, seconds (exclusive).
   */
  window_end: number;
  /**
   * Detection messages folded into this window so far.
   */
  detections?: number;
  brands: BrandShare[];
}
export interface BrandShare {
  brand: string;
  /**
   * Seconds on screen in the window.
   */
  screen_time: number;
  /**
   * Screen time over all brands' screen time in the window.
   */
  share_of_voice: number;
  /**
   * Time-weighted mean screen area while visible.
   */
  prominence: number;
  frames: number;
}
