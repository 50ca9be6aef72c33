/* Generated from schemas/api-token.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `api.token`, version 1, on the compacted `api-tokens` topic keyed by token_id: the hash of an API token results-api issued, or its revocation. Services that authenticate clients without calling results-api (the notifier) follow this topic.
 */
export interface ApiToken {
  token_id: string;
  name: string;
  /**
   * SHA-256 hex of the token (`sightline_common.api_tokens.hash_token`); the token itself is shown once, at creation, and never published.
   */
  token_hash: string;
  revoked?: boolean;
  /**
   * When the token stops being valid (refused from then on, like a revoked one); null: valid until revoked.
   */
  expires_at?: string | null;
}
