/**
 * The tag config of omni-meta-capi: a GTM-template-like object with camelCase keys, read by
 * `parse_config` (crates/core/src/pipeline/config.rs). JSON Schema: `schema/tag-config.schema.json`.
 *
 * Reading is lenient, and these types follow it: `null` counts as absent (a GTM variable that
 * resolves to nothing); text also accepts numbers and is trimmed, blank text counts as absent;
 * booleans also accept "true" / "false"; integers also accept numeric strings; choices are
 * case-insensitive (typed here as lower, upper and capitalized spellings). Wrong types and bad
 * values are errors naming the key; unknown keys are only `config.unknown_key` warnings.
 */

/** Text: a string (trimmed; blank counts as absent) or a number (sent as its JSON text). */
export type ConfigText = string | number;

/** A boolean, or the exact strings "true" / "false". */
export type ConfigBoolean = boolean | "true" | "false";

/** A whole number (no fraction or exponent), or a string of one ("90"). */
export type ConfigInteger = number | `${number}`;

/** A choice, compared case-insensitively (the common spellings are typed). */
export type CaseInsensitive<T extends string> =
  | T
  | Lowercase<T>
  | Uppercase<T>
  | Capitalize<Lowercase<T>>;

/** Meta's nine `action_source` values. */
export type ActionSource =
  | "website"
  | "email"
  | "app"
  | "phone_call"
  | "chat"
  | "physical_store"
  | "system_generated"
  | "business_messaging"
  | "other";

/** What happens to `client_ip_address`. */
export type IpAnonymization = "none" | "truncate" | "remove";

/** Logging verbosity. */
export type LogLevel = "DEBUG" | "INFO" | "ERROR";

/** A pixel (dataset) ID: digits. Prefer a string: IDs above 2^53 lose precision as numbers. */
export type PixelId = string | number;

/** One pixel of a multi-pixel config (unknown keys warn as `pixelId[<i>].<key>`). */
export interface PixelEntry {
  /** Required. This pixel's (dataset) ID; goes into the request URL `.../{pixelId}/events`. */
  pixelId: PixelId;
  /** This pixel's access token (body `access_token`). Default: the top-level `accessToken`. */
  accessToken?: ConfigText | null;
  /**
   * A precomputed `appsecret_proof` for this pixel's token (64 hex digits, Stape's
   * `appSecretProof`); beats one computed from `appSecret`. A secret: never logged. Default:
   * the top-level `appsecretProof` when this entry uses the top-level token, else none.
   */
  appsecretProof?: ConfigText | null;
}

/** Event Enhancement (unknown keys warn as `eventEnhancement.<key>`). */
export interface EventEnhancementConfig {
  /** On unless false. Default: true. */
  enabled?: ConfigBoolean | null;
  /** The cookie keeping the hashed user data (the peers' name, so their cookies keep working). Default: "_gtmeec". */
  cookieName?: ConfigText | null;
  /** Its Domain: "auto", "none" or a domain, as `cookieDomain`. Default: the `cookieDomain` setting. */
  domain?: ConfigText | null;
}

/** Cookie options (unknown keys warn as `cookies.<key>`). */
export interface CookieOptionsConfig {
  /** `HttpOnly` on `_fbp` / `_fbc` (Stape's `useHttpOnlyCookie`). Default: false. */
  httpOnly?: ConfigBoolean | null;
  /** Set again cookies the visitor already has (false: only new or changed ones; Meta's `extendCookies` off). Default: true. */
  extend?: ConfigBoolean | null;
}

/** `original_event_data` for `AppendValue` events (unknown keys warn as `originalEventData.<key>`). */
export interface OriginalEventDataConfig {
  event_name?: ConfigText | null;
  /** Unix seconds. */
  event_time?: ConfigInteger | null;
  order_id?: ConfigText | null;
  event_id?: ConfigText | null;
}

/** Where the product list is in the event data (unknown keys warn as `productSchema.<key>`). */
export interface ProductSchemaConfig {
  /**
   * `omni`: GA4 `items` with `item_id` / `quantity` / `price` (the other keys are ignored);
   * `custom`: the keys below. Default: "omni".
   */
  type?: CaseInsensitive<"omni" | "custom"> | null;
  /** With `custom`: dotted path of the product array; feeds `custom_data.contents`. Default: "items". */
  arrayVariable?: ConfigText | null;
  /** With `custom`: product ID key; feeds `contents[].id` and `content_ids`. Default: "item_id". */
  idField?: ConfigText | null;
  /** With `custom`: quantity key; feeds `contents[].quantity` and `num_items` (missing: 1). Default: "quantity". */
  quantityField?: ConfigText | null;
  /** With `custom`: unit price key; feeds `contents[].item_price`. Default: "price". */
  priceField?: ConfigText | null;
}

/** Limited Data Use (unknown keys warn as `ldu.<key>`). */
export interface LduConfig {
  /** Send `data_processing_options: ["LDU"]`; when false, country and state are ignored. Default: false. */
  enabled?: ConfigBoolean | null;
  /** `data_processing_options_country` (1 = US, 0 = Meta geolocates). Default: 0. */
  country?: ConfigInteger | null;
  /** `data_processing_options_state` (1000 = California, 0 = Meta geolocates). Default: 0. */
  state?: ConfigInteger | null;
}

/** Consent gate on Consent Mode signals in the event data (unknown keys warn as `consent.<key>`). */
export interface ConsentConfig {
  /** Skip the event unless `ad_storage` is granted (`consent_state.ad_storage`, else GA4 `gcs`). Default: false. */
  requireAdStorage?: ConfigBoolean | null;
  /** Skip the event unless `ad_user_data` is granted (`consent_state.ad_user_data`). Default: false. */
  requireAdUserData?: ConfigBoolean | null;
  /** A required signal absent from the event: `skip` (fail closed) or `send` (fail open). Default: "skip". */
  whenMissing?: CaseInsensitive<"send" | "skip"> | null;
}

/** The tag config. Only `pixelId` (and an access token) is required. */
export interface TagConfig {
  /**
   * Required. The pixel (dataset) ID for the request URL `{graphBaseUrl}/{graphApiVersion}/{pixelId}/events`,
   * or a non-empty list of `{pixelId, accessToken}` (one request per pixel, same events).
   */
  pixelId: PixelId | PixelEntry[];
  /** Access token, body `access_token`. Required unless every `pixelId` entry has its own. */
  accessToken?: ConfigText | null;
  /** Body `test_event_code` (event data `test_event_code` wins). Default: none. */
  testEventCode?: ConfigText | null;
  /** The event's `action_source` (event data `x-fb-sed-action_source` wins). Default: "website". */
  actionSource?: CaseInsensitive<ActionSource> | null;
  /** Fixed `event_name` for every event instead of the mapped sGTM name. Default: none. */
  eventName?: ConfigText | null;
  /** Custom `event_name`; wins over `eventName` and the incoming name. Default: none. */
  customEventName?: ConfigText | null;
  /** The event's `event_id` for deduplication; wins over the event data's. Default: from the event, else a UUID v4. */
  eventId?: ConfigText | null;
  /** Graph API version in the URL, `v<major>.<minor>`. Default: "v24.0". */
  graphApiVersion?: string | null;
  /** Base URL of the Graph API or a gateway, http(s), no query or fragment. Default: "https://graph.facebook.com". */
  graphBaseUrl?: string | null;
  /** Extra `user_data` keys for every event (override the event data; hashed keys are normalized and hashed). Default: {}. */
  userData?: Record<string, unknown> | null;
  /** Extra `custom_data` keys for every event (override the event data; standard keys coerced). Default: {}. */
  customData?: Record<string, unknown> | null;
  /** Where the products are, for `custom_data.contents` / `content_ids` / `num_items`. Default: GA4 `items`. */
  productSchema?: ProductSchemaConfig | null;
  /** Limited Data Use: `data_processing_options` ["LDU"] with country and state. Default: off. */
  ldu?: LduConfig | null;
  /** Raw `data_processing_options` (list, or comma-separated text); overrides `ldu`. Default: none. */
  dataProcessingOptions?: string[] | string | null;
  /** Raw `data_processing_options_country`; overrides `ldu.country`. Default: none. */
  dataProcessingOptionsCountry?: ConfigInteger | null;
  /** Raw `data_processing_options_state`; overrides `ldu.state`. Default: none. */
  dataProcessingOptionsState?: ConfigInteger | null;
  /** Consent gate: events without required consent are skipped. Default: nothing required. */
  consent?: ConsentConfig | null;
  /** Send hashed identifiers in `user_data`; false removes them (plain keys stay). Default: true. */
  sendPii?: ConfigBoolean | null;
  /** `client_ip_address`: sent as is, truncated (IPv4 /24, IPv6 /48) or removed. Default: "none". */
  ipAnonymization?: CaseInsensitive<IpAnonymization> | null;
  /** Body `partner_agent`. Default: "omni-meta-capi-<version>". */
  partnerAgent?: ConfigText | null;
  /** Meta app secret: adds body `appsecret_proof` (HMAC-SHA256 of the token); never sent itself. Default: none. */
  appSecret?: ConfigText | null;
  /** Logging verbosity; feeds no Meta field. Default: "INFO". */
  logLevel?: CaseInsensitive<LogLevel> | null;
  /** Unknown keys are errors instead of warnings. Default: false. */
  strict?: ConfigBoolean | null;
  /** Create a `_fbp` browser ID (`user_data.fbp` and a cookie) when the request has none. Default: true. */
  generateFbp?: ConfigBoolean | null;
  /** `_fbc` / `_fbp` cookie domain: "auto" (registrable domain), "none" (host-only) or a domain. Default: "auto". */
  cookieDomain?: ConfigText | null;
  /** `_fbc` / `_fbp` cookie lifetime in days, 1 to 400. Default: 90. */
  cookieMaxAgeDays?: ConfigInteger | null;
  /** Cookie options: `{httpOnly, extend}`. Default: {httpOnly: false, extend: true}. */
  cookies?: CookieOptionsConfig | null;
  /**
   * Event Enhancement (the peers' `enableEventEnhancement`): hashed user data kept in a
   * first-party cookie (`_gtmeec`, the peers' format) fills later events of that browser that
   * lack it; hashes only, the event's own values win, nothing with ad_storage denied or
   * `sendPii: false`. `true` or an object. Default: off.
   */
  eventEnhancement?: ConfigBoolean | EventEnhancementConfig | null;
  /** A precomputed `appsecret_proof` for the top-level `accessToken` (64 hex digits). Default: none. */
  appsecretProof?: ConfigText | null;
  /** `app_data` keys for app events (`action_source: "app"`), overriding the default and the event's. Default: {}. */
  appData?: Record<string, unknown> | null;
  /** `original_event_data` for `AppendValue` events; the event's own keys win. Default: none. */
  originalEventData?: OriginalEventDataConfig | null;

  /** Per-try timeout of the request to Meta in ms (1-60000). Default 1500 (Meta's recommendation). */
  timeoutMs?: ConfigInteger | null;

  /** Retries of transient failures only (never code 100 or 190); capped exponential backoff with jitter; Retry-After honoured. */
  retry?: RetryConfig | null;

  /** ERROR log records are also POSTed here (fire-and-forget; a failing monitor never breaks the event). */
  errorMonitor?: ErrorMonitorConfig | null;

  /**
   * Identity resolution through an Omni Identity API: a stable person id as an extra
   * `external_id`, and (with `useJournal`) identifiers the event lacks filled from earlier
   * events. The identity service receives email and phone in plaintext (the API normalizes and
   * matches on them), over this token-authenticated endpoint. Default: disabled.
   */
  identity?: IdentityConfig | null;
}

/** `retry`: how often and how patiently a request to Meta is tried. */
export interface RetryConfig {
  /** Tries in all, counting the first (1-10). Default 3. */
  attempts?: ConfigInteger | null;
  /** Backoff before the second try in ms, doubling after (0-60000). Default 200. */
  baseDelayMs?: ConfigInteger | null;
  /** Longest single wait in ms, also the longest Retry-After honoured (0-60000). Default 5000. */
  maxDelayMs?: ConfigInteger | null;
}

/** `errorMonitor`: where ERROR records are POSTed. */
export interface ErrorMonitorConfig {
  /** The monitor's http(s) URL. */
  endpoint: string;
  /** Sent as `Authorization: Bearer <token>`, never in the URL. */
  token?: string | null;
  /** Posts a minute per kind of error at most (default 10); the next post counts the ones held back. */
  maxPerMinute?: ConfigInteger | null;
}

/** An identifier the journal may fill when the event lacks it. */
export type JournalFillField = "email" | "phone" | "fbclid";

/**
 * `identity`: the Omni Identity client (unknown keys warn as `identity.<key>`). The other keys
 * are read only when `enabled` is true; then `endpoint` and `token` are required.
 */
export interface IdentityConfig {
  /** Turn identity resolution on. Default: false. */
  enabled?: ConfigBoolean | null;
  /** Required when enabled. The API base URL, http(s), usually ending in `/api/v1`; calls go to `{endpoint}/identifier`. */
  endpoint?: string | null;
  /** Required when enabled. Sent as `Authorization: Bearer <token>`, never in a URL or a log. */
  token?: ConfigText | null;
  /** The body's `platform`. Default: "omni-meta-capi". */
  platform?: ConfigText | null;
  /**
   * Where `anonymous_id` comes from: an event data key path, or `cookie:<name>` for a request
   * cookie. No anonymous id and no email: no identity call. Default: "client_id".
   */
  anonymousIdSource?: ConfigText | null;
  /** Deadline of each identity call in ms (1-10000). Default: 800. */
  timeoutMs?: ConfigInteger | null;
  /** Also retrieve the journal to fill identifiers the event lacks. Default: false. */
  useJournal?: ConfigBoolean | null;
  /**
   * What the journal may fill (the event's own values always win): email ->
   * `user_data.email_address`, phone -> `user_data.phone_number`, fbclid -> `fbclid`. A list or
   * a comma-separated string, case-insensitive. Default: ["email", "phone", "fbclid"].
   */
  fillFromJournal?: CaseInsensitive<JournalFillField>[] | string | null;
  /** Reuse an answer for the same anonymous id for this many ms (0-86400000); 0 = no cache. Default: 0. */
  cacheTtlMs?: ConfigInteger | null;
}
