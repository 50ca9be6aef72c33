/* Generated from schemas/segment-ready.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `segment.ready`, version 1, on the `segments` topic: a complete HLS segment stored in object storage. A reference, never the bytes.
 */
export interface SegmentReady {
  stream_id: string;
  /**
   * Monotonic per stream across publisher reconnects.
   */
  sequence: number;
  bucket: string;
  object_key: string;
  playlist_key: string;
  /**
   * Stream time of the segment's first frame, seconds.
   */
  media_start: number;
  /**
   * Seconds.
   */
  duration: number;
  /**
   * When the segment was complete.
   */
  wall_clock: string;
  size_bytes: number;
  sha256: string;
  width?: number | null;
  height?: number | null;
  codec?: string | null;
  discontinuity?: boolean;
}
