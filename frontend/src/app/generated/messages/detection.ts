/* Generated from schemas/detection.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `detection`, version 1, on the `detections` topic: what one detector found in one segment, for one analysis run.
 */
export interface Detection {
  stream_id: string;
  segment: SegmentRef;
  /**
   * `live` for live analysis, otherwise a reanalysis run id.
   */
  run_id: string;
  detector: DetectorInfo;
  executor: ExecutorInfo;
  frames: FrameResult[];
  timings: Timings;
}
export interface SegmentRef {
  sequence: number;
  bucket: string;
  object_key: string;
  media_start: number;
  duration: number;
  segment_event_id?: string | null;
}
export interface DetectorInfo {
  name: string;
  version: string;
  config_hash: string;
}
export interface ExecutorInfo {
  kind: "local" | "lan" | "cloud";
  host?: string | null;
  latency_ms: number;
  /**
   * Executors tried first that failed.
   */
  fallback_from?: ("local" | "lan" | "cloud")[];
}
export interface FrameResult {
  /**
   * Stream time of the frame, seconds.
   */
  media_ts: number;
  results: ResultItem[];
}
export interface ResultItem {
  /**
   * logo, face, person, shot_change, colour, quality, text, label
   */
  kind: string;
  label: string;
  confidence: number;
  box?: Box | null;
  polygon?: Point[] | null;
  area_share?: number | null;
  attributes?: {
    [k: string]: unknown;
  };
}
/**
 * Normalised to the frame: 0..1 from the top-left corner.
 */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface Point {
  x: number;
  y: number;
}
export interface Timings {
  fetch_ms?: number;
  decode_ms?: number;
  analyze_ms?: number;
  total_ms: number;
}
