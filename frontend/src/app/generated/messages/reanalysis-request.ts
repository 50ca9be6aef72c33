/* Generated from schemas/reanalysis-request.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * backfill: a live detector skipped the range's segments under overload; their detections complete the `live` run (same event ids) instead of forming a run of their own.
 */
export type ReanalysisPurpose = "reanalysis" | "backfill";

/**
 * type `reanalysis.request`, version 1, on the `reanalysis` topic, keyed by run_id: start or cancel a re-run of detectors over a stream's time range.
 */
export interface ReanalysisRequest {
  run_id: string;
  action: "start" | "cancel";
  purpose?: ReanalysisPurpose;
  stream_id: string;
  media_from?: number;
  media_to?: number | null;
  detectors?: string[];
  /**
   * Overrides: `policy` (AnalysisPolicy fields, e.g. sample_fps) and, per analyzer key, that analyzer's settings (for `logo`: the matcher's).
   */
  config?: {
    [k: string]: unknown;
  };
  /**
   * When the first segment in range was stored, if known: where replay starts reading the segments topic (offsets for times).
   */
  wall_from?: string | null;
  /**
   * When the last segment in range was stored, if known.
   */
  wall_to?: string | null;
}
