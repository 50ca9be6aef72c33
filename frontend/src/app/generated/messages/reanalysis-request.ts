/* Generated from schemas/reanalysis-request.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `reanalysis.request`, version 1, on the `reanalysis` topic, keyed by run_id: start or cancel a re-run of detectors over a stream's time range.
 */
export interface ReanalysisRequest {
  run_id: string;
  action: "start" | "cancel";
  stream_id: string;
  media_from?: number;
  media_to?: number | null;
  detectors?: string[];
  config?: {
    [k: string]: unknown;
  };
}
