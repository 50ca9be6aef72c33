/* Generated from schemas/stream-lifecycle.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

export type StreamStatus = "started" | "stopped" | "stalled" | "resumed" | "failed" | "retrying";

/**
 * type `stream.lifecycle`, version 1, on the `streams` topic: a stream started, stopped, stalled, resumed, failed, or its source is retrying after a failure.
 */
export interface StreamLifecycle {
  stream_id: string;
  status: StreamStatus;
  source_kind: "rtmp" | "webcam" | "file" | "test";
  reason?: string | null;
  /**
   * True when a publisher reconnected and continues an existing stream.
   */
  discontinuity?: boolean;
  /**
   * With `retrying` (and `failed` from a source adapter): how many times in a row the source failed to run.
   */
  attempt?: number | null;
  /**
   * With `retrying`: when the source is tried next.
   */
  retry_at?: string | null;
}
