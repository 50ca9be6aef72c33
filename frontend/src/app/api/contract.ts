/**
 * The REST shapes the dashboard uses, by the names the screens speak. Those results-api already
 * serves are aliases of the types generated from its OpenAPI document (`generated/api.ts`, made
 * by `scripts/gen-api-types.sh`); reanalysis is not in that document yet, so its shapes follow
 * issue #5's contract by hand until it is.
 */
import type { components } from '../generated/api';

type Schemas = components['schemas'];

export type Box = Schemas['Box'];
export type Source = Schemas['Source'];
export type SourceKind = Schemas['SourceKind'];
export type AnalysisPolicy = Schemas['AnalysisPolicy'];
export type StreamStatus = Schemas['LiveStatus'];
export type StreamCreate = Schemas['StreamCreate'];
/** Includes `stream_key`, shown once: the API keeps only its hash. */
export type StreamCreated = Schemas['StreamCreated'];
export type StreamSummary = Schemas['StreamPublic'];
export type StreamUpdate = Schemas['StreamUpdate'];
/** One result item of one frame; `event_id` + `item_index` identify it, `media_ts` is stream time. */
export type DetectionItem = Schemas['DetectionPublic'];
export type Page<T> = { items: T[]; next_cursor: string | null };
export type BrandExposure = Schemas['BrandExposurePublic'];
export type ExposureWindow = Schemas['ExposureWindowPublic'];
export type ExposureReport = Schemas['ExposureReport'];
export type Logo = Schemas['LogoPublic'];

export interface DetectionQuery {
  from?: number;
  to?: number;
  kind?: string;
  label?: string;
  run?: string;
  limit?: number;
  cursor?: string;
}

export interface ExposureQuery {
  from?: number;
  to?: number;
  window?: number;
}

export interface ReanalysisCreate {
  stream_id: string;
  from: number;
  to: number;
  detectors: string[];
  config?: Record<string, unknown>;
}

/** Final states of a run; anything else (requested, queued, running...) is still in progress. */
export const FINISHED_RUN_STATES = ['done', 'completed', 'failed', 'cancelled'] as const;

export interface ReanalysisRun {
  run_id: string;
  stream_id: string;
  from?: number;
  to?: number;
  detectors?: string[];
  /** requested, running, done, failed, cancelled (issue #7). */
  status: string;
  /** 0..1, when the API reports it directly. */
  progress?: number;
  segments_total?: number;
  segments_done?: number;
  /** Media seconds analysed per wall-clock second. */
  rate?: number | null;
  eta_s?: number | null;
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
