/**
 * The results-api contract the dashboard relies on (issue #5). Message shapes come from
 * schemas/ via generated/messages; these are the REST shapes. When results-api publishes its
 * OpenAPI document, `scripts/gen-api-types.sh` saves it and generates `generated/api.ts`, and
 * these names become aliases of the generated ones.
 */
import type { AnalysisPolicy, Box, Source, SourceKind } from '../generated/messages';

export type { AnalysisPolicy, Box, Source, SourceKind };
export type StreamStatus = 'live' | 'stalled' | 'stopped' | 'idle';

export interface StreamCreate {
  name: string;
  source: Source;
  policy?: AnalysisPolicy;
}

export interface StreamCreated {
  id: string;
  /** Shown once: the API keeps only its hash. */
  stream_key: string;
  rtmp_url: string;
}

export interface StreamSummary {
  id: string;
  name: string;
  source: Source;
  policy?: AnalysisPolicy;
  status: StreamStatus;
  enabled?: boolean;
  created_at?: string;
  /** Media time of the newest stored segment, seconds. */
  last_media_ts?: number | null;
  rtmp_url?: string;
}

export interface StreamUpdate {
  name?: string;
  enabled?: boolean;
  policy?: AnalysisPolicy;
}

/** One thing a detector found in one frame, flattened; media_ts is the stream time in seconds. */
export interface DetectionItem {
  id?: string;
  stream_id?: string;
  media_ts: number;
  kind: string;
  label: string;
  confidence: number;
  box?: Box | null;
  area_share?: number | null;
  run_id: string;
  detector: string;
  executor: string;
}

export interface DetectionQuery {
  from?: number;
  to?: number;
  kind?: string;
  label?: string;
  run?: string;
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface BrandExposure {
  brand: string;
  /** Seconds the brand was visible. */
  screen_time: number;
  /** Share of all brand screen time, 0..1. */
  share_of_voice: number;
  /** Mean share of the frame the brand covered while visible, 0..1. */
  prominence: number;
}

export interface ExposureWindow {
  start: number;
  end: number;
  brands: BrandExposure[];
}

export interface ExposureReport {
  stream_id?: string;
  from?: number | null;
  to?: number | null;
  totals: BrandExposure[];
  windows: ExposureWindow[];
}

export interface Logo {
  id: string;
  brand: string;
  created_at?: string;
  content_type?: string;
}

export interface ReanalysisCreate {
  stream_id: string;
  from: number;
  to: number;
  detectors: string[];
  config?: Record<string, unknown>;
}

export type RunState = 'queued' | 'running' | 'done' | 'failed';

export interface ReanalysisRun {
  run_id: string;
  stream_id: string;
  from?: number;
  to?: number;
  detectors?: string[];
  state: RunState;
  /** 0..1 */
  progress?: number;
  segments_total?: number;
  segments_done?: number;
  created_at?: string;
  error?: string | null;
}

export interface DetectionChange {
  before: DetectionItem;
  after: DetectionItem;
}

export interface RunDiff {
  run_id: string;
  against: string;
  added: DetectionItem[];
  removed: DetectionItem[];
  changed: DetectionChange[];
}
