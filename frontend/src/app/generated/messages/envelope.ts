/* Generated from schemas/envelope.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * Wraps every Sightline message. Keyed on Kafka by `key` (a stream_id, or a run_id for reanalysis), so one stream's events stay in order on one partition.
 */
export interface Envelope {
  /**
   * Unique per effect; sinks deduplicate on it.
   */
  event_id: string;
  /**
   * Message type, e.g. segment.ready.
   */
  type: string;
  /**
   * Schema version of the payload.
   */
  version: number;
  occurred_at: string;
  /**
   * Service (and instance) that produced the message.
   */
  producer: string;
  key: string;
  payload: {};
}
