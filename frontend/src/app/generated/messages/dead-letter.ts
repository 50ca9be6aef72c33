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
   * The original message value, base64; only its first bytes when `original_truncated`.
   */
  original_b64: string;
  /**
   * The original envelope's event id, when it could be read.
   */
  event_id?: string | null;
  /**
   * Size in bytes of the whole original value.
   */
  original_size?: number | null;
  /**
   * SHA-256 (hex) of the whole original value, to match it when it is truncated here.
   */
  original_sha256?: string | null;
  /**
   * True when `original_b64` holds only a prefix of the original (a dead letter must stay producible).
   */
  original_truncated?: boolean;
}
