/* Generated from schemas/alert-state.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `alert.state`, version 1, on the compacted `alert-state` topic keyed by stream_id: the alerts evaluator's state of one stream (its changelog), written with the alerts it caused before the input offsets are committed. `applied` holds the last input offset folded in per `topic:partition`, so redelivered input is skipped and a restart neither loses nor repeats an alert.
 */
export interface AlertState {
  stream_id: string;
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
