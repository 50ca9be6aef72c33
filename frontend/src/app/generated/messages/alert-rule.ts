/* Generated from schemas/alert-rule.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * detector_lag: the logo detector's live analysis starts more than duration_s after a segment was stored, or runs degraded (segments shed); picture: the picture shows one of `conditions` (the quality analyzer's dark / blurry / still flags) for duration_s of stream time; appearance: a brand visible for at least duration_s (optionally inside zone); absence: none of the brands seen for duration_s of analysed stream time; competitor: a brand appears at all; stream_health: no segment for duration_s of wall time; pacing: the brands' screen time projected to the end of the period falls short of target_s (on stream_id in stream time, or summed over the streams of stream_ids in wall-clock time).
 */
export type AlertKind =
  "appearance" | "absence" | "competitor" | "stream_health" | "pacing" | "picture" | "detector_lag";
/**
 * A flag of the quality analyzer: dark (black), blurry, still (frozen).
 */
export type PictureCondition = "dark" | "blurry" | "still";

/**
 * type `alert.rule`, version 1, on the compacted `alert-rules` topic keyed by rule_id: an alert rule as results-api stores it; a tombstone deletes it. The alerts service follows this topic and evaluates the rules live.
 */
export interface AlertRule {
  rule_id: string;
  name: string;
  kind: AlertKind;
  stream_id: string;
  /**
   * Logo labels the rule is about (any of them); empty for stream_health.
   */
  brands?: string[];
  /**
   * appearance: seconds visible; absence: seconds unseen; stream_health: seconds without a segment.
   */
  duration_s?: number;
  /**
   * A simple polygon in normalised frame coordinates (0..1 from the top-left); a detection counts when its box centre lies inside.
   */
  zone?: [ZonePoint, ZonePoint, ZonePoint, ...ZonePoint[]] | null;
  min_confidence?: number;
  /**
   * Smallest box area as a share of the frame.
   */
  min_area?: number;
  /**
   * A brand unseen for at most this long still counts as continuously visible (sampling, missed frames).
   */
  gap_s?: number;
  /**
   * After an alert resolves, the same rule and stream fire again only after this long.
   */
  cooldown_s?: number;
  /**
   * Where fired / resolved transitions are POSTed (signed); null: no webhook.
   */
  webhook_url?: string | null;
  /**
   * Which secret signs this rule's webhooks: 0 the deployment's webhook secret (rules created before per-rule secrets), n >= 1 the rule's own secret at version n, derived from the deployment's secret and the rule id; rotating the secret increments it.
   */
  webhook_secret_version?: number;
  enabled?: boolean;
  /**
   * picture: the quality flags that count as a bad picture (any of them).
   */
  conditions?: PictureCondition[];
  /**
   * pacing: contracted screen time (seconds) over the period.
   */
  target_s?: number | null;
  /**
   * pacing: length of the contracted period in stream seconds (e.g. 5400 for a 90-minute match).
   */
  period_s?: number | null;
  /**
   * pacing: stream time the period starts; null: the first analysed segment after the rule took effect.
   */
  period_start_s?: number | null;
  /**
   * pacing: seconds of the period before forecasting (null: a tenth of the period); wall-clock seconds for a set of streams.
   */
  warmup_s?: number | null;
  /**
   * pacing over a set of streams: the member streams (at least two; stream_id, where the rule's alerts are filed, is the first). The brands' screen time is summed over the members, each feed its own audience (a logo visible on two feeds at once counts twice), over the wall-clock period [period_start_at, period_start_at + period_s], and projected from the rate so far over the wall time elapsed since period_start_at. Empty: single-stream pacing on stream_id, in stream time.
   */
  stream_ids?: string[];
  /**
   * pacing over a set of streams: the wall-clock start of the period (results-api sets the rule's creation time when none is given); unused by single-stream rules.
   */
  period_start_at?: string | null;
}
export interface ZonePoint {
  x: number;
  y: number;
}
