/* Generated from schemas/stream-config.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

export type SourceKind = "rtmp" | "webcam" | "file" | "test";
export type ExecutorKind = "local" | "lan" | "cloud";

/**
 * type `stream.config`, version 1, on the compacted `stream-config` topic: the latest configuration of a stream. Ingest authorizes publishes against it; detectors read the analysis policy from it.
 */
export interface StreamConfig {
  stream_id: string;
  name: string;
  /**
   * SHA-256 hex of the stream key; the key itself never leaves the API response that created it.
   */
  key_hash: string;
  source: Source;
  policy: AnalysisPolicy;
  enabled: boolean;
  deleted?: boolean;
}
export interface Source {
  kind: SourceKind;
  /**
   * file path or URL (file); device path (webcam).
   */
  uri?: string | null;
  loop?: boolean;
}
export interface AnalysisPolicy {
  /**
   * Preferred executor first, then the fallback chain.
   *
   * @minItems 1
   */
  executors?: [ExecutorKind, ...ExecutorKind[]];
  sample_fps?: number;
  detectors?: string[];
}
