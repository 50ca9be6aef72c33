/* Generated from schemas/alert.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

export type AlertStatus = "fired" | "resolved";

/**
 * type `alert`, version 1, on the `alerts` topic keyed by stream_id: an alert rule's condition began (fired) or ended (resolved) on a stream. One condition is one alert_id with one fired and at most one resolved message; the envelope's event_id is derived from alert_id and status, so a re-emission after a crash is a duplicate sinks drop.
 */
export interface Alert {
  alert_id: string;
  rule_id: string;
  rule_name: string;
  /**
   * detector_lag: the logo detector's live analysis starts more than duration_s after a segment was stored, or runs degraded (segments shed); picture: the picture shows one of `conditions` (the quality analyzer's dark / blurry / still flags) for duration_s of stream time; appearance: a brand visible for at least duration_s (optionally inside zone); absence: none of the brands seen for duration_s of analysed stream time; competitor: a brand appears at all; stream_health: no segment for duration_s of wall time; pacing: the brands' screen time projected to the end of the period falls short of target_s (on stream_id in stream time, or summed over the streams of stream_ids in wall-clock time).
   */
  kind: "appearance" | "absence" | "competitor" | "stream_health" | "pacing" | "picture" | "detector_lag";
  stream_id: string;
  status: AlertStatus;
  brand?: string | null;
  /**
   * Wall-clock time of the transition.
   */
  at: string;
  evidence?: AlertEvidence;
}
/**
 * What the transition is based on: times, the frame and the segment holding it.
 */
export interface AlertEvidence {
  /**
   * Stream time the condition began (first frame seen, or last seen for absence).
   */
  since_media_ts?: number | null;
  /**
   * Stream time of the frame that made the transition.
   */
  media_ts?: number | null;
  segment_sequence?: number | null;
  /**
   * Object key of the segment holding that frame (the snapshot reference).
   */
  segment_key?: string | null;
  confidence?: number | null;
  /**
   * The detection's box, normalised like a Detection's.
   */
  box?: EvidenceBox | null;
  /**
   * stream_health: when the last segment was complete.
   */
  last_segment_at?: string | null;
  /**
   * pacing: the brands' screen time in the period so far.
   */
  screen_time_s?: number | null;
  /**
   * pacing: screen time projected to the end of the period at the rate so far.
   */
  forecast_s?: number | null;
  /**
   * pacing: the contracted screen time.
   */
  target_s?: number | null;
  /**
   * pacing: the forecast shortfall, target_s - forecast_s (negative when ahead).
   */
  shortfall_s?: number | null;
  /**
   * pacing over a set of streams: each member stream's screen time in the period so far (their sum is screen_time_s).
   */
  member_screen_time_s?: {
    [k: string]: number;
  } | null;
  /**
   * pacing over a set of streams: the wall-clock time the members' analysis has reached (the forecast's 'so far').
   */
  observed_to?: string | null;
  detail?: string | null;
}
export interface EvidenceBox {
  x: number;
  y: number;
  w: number;
  h: number;
}
