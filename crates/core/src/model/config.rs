//! The tag config, typed: what `crate::config::parse_config` reads out of the camelCase config
//! object, and what every layer of the pipeline reads. Data only (no reading, no decisions), so
//! any module can depend on it without depending on the pipeline.
use crate::json::{Json, Key};
use crate::model::identity::IdentityConfig;

pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com";

/// Meta's nine `action_source` values.
pub const ACTION_SOURCES: [&str; 9] = [
    "website",
    "email",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixel {
    pub id: String,
    pub access_token: String,
    /// A precomputed `appsecret_proof` for this pixel's token (`pixelId[i].appsecretProof`, or
    /// the top-level `appsecretProof` for the top-level token); beats one computed from
    /// `appSecret`. A secret: never logged.
    pub appsecret_proof: Option<String>,
}

/// `eventEnhancement`: the visitor's hashed user data kept in a first-party cookie and used on
/// later events that lack it (the peers' `_gtmeec`, same format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventEnhancement {
    pub cookie_name: String,
    /// `None`: the `_fbp`/`_fbc` domain (`cookieDomain`).
    pub domain: Option<CookieDomain>,
}

pub const DEFAULT_EVENT_ENHANCEMENT_COOKIE: &str = "_gtmeec";

/// `cookies`: attributes and refresh policy of the cookies the tag sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieOptions {
    /// `HttpOnly` on `_fbp`/`_fbc` (Stape's `useHttpOnlyCookie`). The enhancement cookie is
    /// always HttpOnly: nothing in the page needs it.
    pub http_only: bool,
    /// Re-set cookies the visitor already has (refreshing their lifetime); `false` sets only new
    /// ones (Meta's `extendCookies` off).
    pub extend: bool,
}

impl Default for CookieOptions {
    fn default() -> Self {
        CookieOptions {
            http_only: false,
            extend: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSchema {
    /// Dotted path of the product array in the event data.
    pub array_variable: String,
    pub id_field: String,
    pub quantity_field: String,
    pub price_field: String,
}

impl Default for ProductSchema {
    /// `omni`: GA4 `items` with `item_id` / `quantity` / `price`.
    fn default() -> Self {
        ProductSchema {
            array_variable: "items".into(),
            id_field: "item_id".into(),
            quantity_field: "quantity".into(),
            price_field: "price".into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataProcessing {
    pub options: Option<Vec<String>>,
    pub country: Option<i64>,
    pub state: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenConsentMissing {
    Send,
    Skip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent {
    pub require_ad_storage: bool,
    pub require_ad_user_data: bool,
    /// What to do when a required signal is absent from the event (fail open or closed).
    pub when_missing: WhenConsentMissing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpHandling {
    Keep,
    /// IPv4: last octet zeroed; IPv6: all but the first 48 bits zeroed.
    Truncate,
    Remove,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CookieDomain {
    /// The page's registrable domain (eTLD+1 guess), so subdomains share the cookie.
    Auto,
    /// Host-only cookie (no Domain attribute).
    Host,
    Explicit(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TagConfig {
    pub pixels: Vec<Pixel>,
    pub test_event_code: Option<String>,
    pub action_source: String,
    pub event_name: Option<String>,
    pub custom_event_name: Option<String>,
    pub event_id: Option<String>,
    pub graph_api_version: String,
    pub graph_base_url: String,
    pub user_data: Vec<(Key, Json)>,
    pub custom_data: Vec<(Key, Json)>,
    pub product_schema: ProductSchema,
    pub data_processing: DataProcessing,
    pub consent: Consent,
    pub send_pii: bool,
    pub ip_handling: IpHandling,
    pub partner_agent: Option<String>,
    pub app_secret: Option<String>,
    pub log_level: LogLevel,
    pub generate_fbp: bool,
    pub cookie_domain: CookieDomain,
    pub cookie_max_age_days: u32,
    pub cookies: CookieOptions,
    /// `None` when absent or not enabled.
    pub event_enhancement: Option<EventEnhancement>,
    /// `appData`: `app_data` fields for app events (the event's own win).
    pub app_data: Vec<(Key, Json)>,
    /// `originalEventData`: `original_event_data` (for `AppendValue`); per event keys win.
    pub original_event_data: Vec<(Key, Json)>,
    /// Dispatch: per-try timeout and retries (`timeoutMs`, `retry`).
    pub retry: RetryPolicy,
    /// Where ERROR log records are also POSTed (`errorMonitor: {endpoint, token}`).
    pub error_monitor: Option<ErrorMonitor>,
    /// Identity resolution through an Omni Identity API (`identity: {enabled: true, ...}`);
    /// `None` when absent or not enabled.
    pub identity: Option<IdentityConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorMonitor {
    pub endpoint: String,
    /// Sent as `Authorization: Bearer <token>`, never in the URL.
    pub token: Option<String>,
    /// Posts per minute per error kind at most (`crate::monitor`); the rest are counted.
    pub max_per_minute: u64,
}

/// `errorMonitor.maxPerMinute` unless set: an outage must not become a flood of posts.
pub const DEFAULT_MONITOR_PER_MINUTE: u64 = 10;

impl Default for TagConfig {
    fn default() -> Self {
        TagConfig {
            pixels: Vec::new(),
            test_event_code: None,
            action_source: "website".into(),
            event_name: None,
            custom_event_name: None,
            event_id: None,
            graph_api_version: DEFAULT_GRAPH_VERSION.into(),
            graph_base_url: DEFAULT_GRAPH_BASE_URL.into(),
            user_data: Vec::new(),
            custom_data: Vec::new(),
            product_schema: ProductSchema::default(),
            data_processing: DataProcessing::default(),
            consent: Consent {
                require_ad_storage: false,
                require_ad_user_data: false,
                when_missing: WhenConsentMissing::Skip,
            },
            send_pii: true,
            ip_handling: IpHandling::Keep,
            partner_agent: None,
            app_secret: None,
            log_level: LogLevel::Info,
            generate_fbp: true,
            cookie_domain: CookieDomain::Auto,
            cookie_max_age_days: 90,
            cookies: CookieOptions::default(),
            event_enhancement: None,
            app_data: Vec::new(),
            original_event_data: Vec::new(),
            retry: RetryPolicy::default(),
            error_monitor: None,
            identity: None,
        }
    }
}

/// How often and how patiently a request is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, counting the first (1 = never retry).
    pub attempts: u32,
    /// The backoff before the second try; doubles for each try after it.
    pub base_delay_ms: u64,
    /// The longest single wait (also the longest Retry-After that is honoured).
    pub max_delay_ms: u64,
    /// Per-try deadline JS gives `fetch` (Meta recommends 1500 ms; responses take < 600 ms).
    pub timeout_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 5000,
            timeout_ms: 1500,
        }
    }
}
