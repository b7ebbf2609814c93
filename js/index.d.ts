/**
 * omni-meta-capi: a Meta Conversions API tag in Rust/WebAssembly.
 *
 * One package for Node (ESM and CommonJS), Cloudflare Workers (the `workerd` condition) and
 * browsers. Normalization and hashing happen in wasm and are byte-identical to Meta's own
 * normalizer (capi-param-builder 1.3.2), minus its appendix: hashes are plain lowercase hex.
 */

/** Meta's hashed `user_data` keys. */
export type HashedField =
  | "em" | "ph" | "fn" | "ln" | "ge" | "db" | "ct" | "st" | "zp" | "country" | "external_id";

/** Why a value was dropped instead of hashed. */
export type DropReason =
  | "empty" | "invalid_email" | "no_digits" | "invalid_date" | "unknown_gender"
  | "must_start_with_letter" | "too_short" | "unknown_field" | "not_text";

/** A structured error for input that could not be read at all. Never thrown. */
export interface ApiError {
  error: { code: string; message: string };
}

/** The result of normalizing one value. */
export interface Normalized {
  field: string;
  /** The normalized text that was hashed (for pre-hashed input: the digest, lowercased). */
  normalized: string | null;
  /** Lowercase hex SHA-256 of `normalized`, or null when the value was dropped. */
  hash: string | null;
  /** Present when dropped. */
  reason?: DropReason;
  /** A human-readable explanation of `reason`. */
  message?: string;
}

/** A value left out of a hashed record. */
export interface DroppedValue {
  field: string;
  /** Position in the field's list (0 for a single value). */
  index: number;
  /** A {@link DropReason}, `not_text` (not a string or number) or `unknown_key`. */
  reason: string;
}

/** A `user_data` record ready for Meta. */
export interface HashedUserData {
  /** Hashed keys as lists of lowercase hex hashes (deduplicated, input order); plain keys as given. */
  userData: Record<string, string[] | unknown>;
  dropped: DroppedValue[];
  error?: string;
}

/** A `user_data` record as the caller has it: values as strings, numbers, or lists of them. */
export type UserDataInput = Partial<Record<HashedField, string | number | Array<string | number>>> &
  Record<string, unknown>;

/**
 * Normalize and hash one value of a hashed field.
 * @example normalize("em", " John@Example.com ").hash // "855f96e983f1f8e8…" (sha256 of "john@example.com")
 */
export function normalize(field: HashedField | string, value: string | number): Normalized | ApiError;

/**
 * Hash a `user_data` record: every hashed key normalized, hashed and deduplicated; plain keys
 * (`client_ip_address`, `client_user_agent`, `fbc`, `fbp`, …) passed through; the rest reported.
 */
export function hashUserData(record: UserDataInput): HashedUserData | ApiError;

/** {@link hashUserData} for many records at once: the wasm boundary is crossed once per batch. */
export function hashUserDataBatch(records: UserDataInput[]): HashedUserData[] | ApiError;

/** One chunk of the CLI's JSON-lines protocol (whole lines only). */
export interface LinesResult {
  /** One JSON line per non-blank input line. */
  output: string;
  /** Input lines consumed. */
  lines: number;
  /** Lines that were malformed or named an unknown field. */
  errors: number;
  /** Lines whose value (or at least one list item) was hashed. */
  hashed: number;
  /** Lines whose value was dropped (invalid or empty after normalization). */
  dropped: number;
}

/**
 * Process whole lines of `{"field", "value"}` JSON, as `omni-meta-capi normalize` does.
 * @param firstLine the number of the first line, for error reports (default 1)
 */
export function normalizeLines(text: string, firstLine?: number): LinesResult;
