/* Generated from schemas/dead-letter.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `dead.letter`, version 1, on `<topic>.dlq`: a message a consumer could not process, with the reason and the original bytes.
 */
export interface DeadLetter {
  source_topic: string;
  partition: number;
  offset: number;
  consumer_group: string;
  original_key?: string | null;
  reason: string;
  error_type: string;
  /**
   * The original message value, base64.
   */
  original_b64: string;
  /**
   * The original envelope's event id, when it could be read.
   */
  event_id?: string | null;
}
