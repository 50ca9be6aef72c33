/* Generated from schemas/alert-state.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `alert.state`, version 1, on the compacted `alert-state` topic keyed by `<stream_id>|<input>`: the alerts evaluator's state of one stream as one input topic drives it (its changelog; detections and segments are separate records because their partitions may belong to different replicas), written with the alerts it caused before the input offsets are committed. `applied` holds the last input offset folded in per `topic:partition`, so redelivered input is skipped and a restart neither loses nor repeats an alert.
 */
export interface AlertState {
  stream_id: string;
  /**
   * What drives this state: `segments`, `detections` (the logo detector's) or `detections.<detector>` (another detector's, e.g. the quality flags of `visual`).
   */
  input: string;
  /**
   * The input partition the stream's messages arrive on.
   */
  partition?: number;
  /**
   * Latest stream time folded in (detections).
   */
  clock?: number | null;
  /**
   * Raised at every change; a replica applies another's snapshot only when it is newer.
   */
  version: number;
  applied: {
    [k: string]: number;
  };
  last_segment_at?: string | null;
  /**
   * Per rule id, that rule's evaluation state (owned by the alerts service, opaque to others).
   */
  rules: {
    [k: string]: {
      [k: string]: unknown;
    };
  };
}
