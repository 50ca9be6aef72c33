/**
 * The REST shapes the dashboard uses, by the names the screens speak. Those results-api already
 * serves are aliases of the types generated from its OpenAPI document (`generated/api.ts`, made
 * by `scripts/gen-api-types.sh`); query parameters are written out here.
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
/** Where the video player loads a stream's HLS without the token; ask again before `expires_at`. */
export type PlaybackUrl = Schemas['PlaybackUrl'];
/** One result item of one frame; `event_id` + `item_index` identify it, `media_ts` is stream time. */
export type DetectionItem = Schemas['DetectionPublic'];
export type Page<T> = { items: T[]; next_cursor: string | null };
export type BrandExposure = Schemas['BrandExposurePublic'];
export type ExposureWindow = Schemas['ExposureWindowPublic'];
export type ExposureReport = Schemas['ExposureReport'];
export type Logo = Schemas['LogoPublic'];
/** Lifetimes in seconds: null follows the default, 0 keeps for ever. */
export type Retention = Schemas['Retention'];
/** The object store's space, video per stream, and the warning before the store fills. */
export type StorageReport = Schemas['StorageReport'];
export type StreamStorage = Schemas['StreamStorage'];
/** A stretch (stream seconds, [from, to)) whose video and results outlive retention until unpinned. */
export type Pin = Schemas['PinPublic'];

/** The run id of the live analysis; any other run id is a reanalysis run. */
export const LIVE_RUN = 'live';

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
  /** A reanalysis run id; absent means the live analysis. */
  run?: string;
}

export type ReanalysisCreate = Schemas['ReanalysisCreate'];

/** Final states of a run; anything else (requested, queued, running...) is still in progress. */
export const FINISHED_RUN_STATES = ['done', 'completed', 'failed', 'cancelled'] as const;

/**
 * A run and its progress: status (requested, running, done, failed, cancelled), segments done of
 * total, `rate` (media seconds analysed per wall-clock second, i.e. × real time) and `eta_s`.
 */
export type ReanalysisRun = Schemas['ReanalysisRunPublic'];
export type DetectionChange = Schemas['DetectionChange'];
/** A brand's logo screen time (seconds) in a run and in the run it is compared against. */
export type ExposureDelta = Schemas['BrandExposureDelta'];
export type RunDiff = Schemas['RunDiffPublic'];
