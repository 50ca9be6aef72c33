/* Generated from schemas/alert-progress.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `alert.progress`, version 1, on the `alert-progress` topic keyed by stream_id (the set's first stream, where its alerts are filed, so that every member's progress of one rule stays in order on one partition): how far one member stream of a pacing rule over a set of streams has come. The alerts evaluator of the member's detections publishes it with its state; the evaluator owning the key's partition sums the members and projects. Cumulative: a later record replaces an earlier one of the same rule and member.
 */
export interface AlertProgress {
  rule_id: string;
  /**
   * The rule's stream_id (the set's first stream): the key.
   */
  stream_id: string;
  /**
   * The member stream this progress is about.
   */
  member_stream_id: string;
  /**
   * The brands' screen time on the member since period_start_at.
   */
  screen_time_s: number;
  /**
   * The period's wall-clock start.
   */
  period_start_at: string;
  /**
   * The wall-clock time up to which the member's live detections are folded in (capped at the period's end).
   */
  observed_to: string;
}
