/* Generated from schemas/detection.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * full: live, keeping up; degraded: live while the stream fell behind (segments before this one were skipped and handed to a backfill); backfill: a skipped segment analysed later by a backfill run.
 */
export type AnalysisMode = "full" | "degraded" | "backfill";

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
  /**
   * Results this analysis adds to frames of the stream's previous segment (sequence - 1, whose own detection was sent already): a logo that entered there, too blurred or small to verify, first verified in this segment and followed back across the boundary. Each frame stands for as long as one of `frames`. Only when this run's previous segment of the stream was analysed just before, by the same executor; empty otherwise and in detections made before it existed.
   */
  earlier_frames?: FrameResult[];
  timings: Timings;
  /**
   * What was analysed at which rate, and whether the stream's live analysis was keeping up (absent in detections made before it existed).
   */
  analysis?: AnalysisInfo | null;
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
export interface AnalysisInfo {
  mode: AnalysisMode;
  /**
   * Frames per second of stream time that were sampled and analysed.
   */
  sample_fps: number;
  /**
   * Live: seconds between the segment being stored and its analysis starting.
   */
  lag_s?: number | null;
  /**
   * Live: segments of this stream skipped since its previous live detection (handed to a backfill).
   */
  shed_before?: number;
  /**
   * Backfill: the run that analysed the segment.
   */
  backfill_run_id?: string | null;
}
