/* Generated from schemas/stream-lifecycle.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

export type StreamStatus = "started" | "stopped" | "stalled" | "resumed" | "failed";

/**
 * type `stream.lifecycle`, version 1, on the `streams` topic: a stream started, stopped, stalled, resumed or failed.
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
}
