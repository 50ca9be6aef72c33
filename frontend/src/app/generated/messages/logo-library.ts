/* Generated from schemas/logo-library.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * type `logo.entry`, version 1, on the compacted `logo-library` topic keyed by logo_id: a reference image of a brand, or its removal.
 */
export interface LogoEntry {
  logo_id: string;
  brand: string;
  bucket: string;
  object_key: string;
  sha256: string;
  deleted?: boolean;
}
