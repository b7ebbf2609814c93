//! The identity settings of the tag config (`identity: {...}`), typed. What they drive is
//! `crate::identity`'s business.
use std::fmt;

/// `identity.platform` when unset: the body's `platform`.
pub const DEFAULT_PLATFORM: &str = "omni-meta-capi";
/// `identity.anonymousIdSource` when unset: GA4's `client_id` in the event data.
pub const DEFAULT_ANONYMOUS_ID_SOURCE: &str = "client_id";
/// `identity.timeoutMs` when unset: the identity call runs before Meta's, so it must be short.
pub const DEFAULT_TIMEOUT_MS: u64 = 800;
pub const MAX_TIMEOUT_MS: u64 = 10_000;
/// `identity.cacheTtlMs` upper bound (a day). 0, the default, means no cache.
pub const MAX_CACHE_TTL_MS: u64 = 86_400_000;

/// An identifier enrichment may take from the journal when the event lacks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillField {
    /// -> `em`
    Email,
    /// -> `ph`
    Phone,
    /// -> `fbc` (built from the journal's fbclid)
    Fbclid,
}

impl FillField {
    pub const ALL: [FillField; 3] = [FillField::Email, FillField::Phone, FillField::Fbclid];
    /// The config names, in `ALL` order.
    pub const NAMES: [&'static str; 3] = ["email", "phone", "fbclid"];

    pub fn name(self) -> &'static str {
        match self {
            FillField::Email => "email",
            FillField::Phone => "phone",
            FillField::Fbclid => "fbclid",
        }
    }

    /// From a config name, case-insensitively.
    pub fn from_name(name: &str) -> Option<FillField> {
        FillField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Where the anonymous id comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnonymousIdSource {
    /// A key (or dotted path) in the event data, e.g. `client_id`.
    Event(String),
    /// A cookie of the incoming request (`cookie:<name>`).
    Cookie(String),
}

impl AnonymousIdSource {
    /// `"cookie:<name>"` or an event key path. The error says what is wrong.
    pub fn parse(text: &str) -> Result<AnonymousIdSource, &'static str> {
        let text = text.trim();
        let cookie = text
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("cookie:"))
            .and_then(|_| text.get(7..));
        match cookie.map(str::trim) {
            Some("") => Err("needs a cookie name after \"cookie:\""),
            Some(name) if name.contains(|c: char| c.is_whitespace() || c == ';' || c == '=') => {
                Err("has a cookie name with whitespace, ';' or '='")
            }
            Some(name) => Ok(AnonymousIdSource::Cookie(name.to_string())),
            None if text.is_empty() => Err("is empty"),
            None => Ok(AnonymousIdSource::Event(text.to_string())),
        }
    }
}

/// `identity` in the tag config (read by `config::parse_config`; `None` there unless enabled).
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// The API base URL (typically ending in `/api/v1`), without trailing slash.
    pub endpoint: String,
    /// Sent as `Authorization: Bearer <token>`; never in a URL, a body or a reason.
    pub token: String,
    pub platform: String,
    pub anonymous_id_source: AnonymousIdSource,
    /// Per-call deadline JS gives `fetch`.
    pub timeout_ms: u64,
    /// Also retrieve the journal, to fill identifiers the event lacks.
    pub use_journal: bool,
    pub fill_from_journal: Vec<FillField>,
    /// How long an answer may be reused for the same anonymous id; 0 = no cache.
    pub cache_ttl_ms: u64,
}

impl IdentityConfig {
    /// A config with every optional setting at its default.
    pub fn new(endpoint: impl Into<String>, token: impl Into<String>) -> IdentityConfig {
        IdentityConfig {
            endpoint: endpoint.into(),
            token: token.into(),
            platform: DEFAULT_PLATFORM.into(),
            anonymous_id_source: AnonymousIdSource::Event(DEFAULT_ANONYMOUS_ID_SOURCE.into()),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            use_journal: false,
            fill_from_journal: FillField::ALL.to_vec(),
            cache_ttl_ms: 0,
        }
    }
}

/// Debug without the token.
impl fmt::Debug for IdentityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &"<redacted>")
            .field("platform", &self.platform)
            .field("anonymous_id_source", &self.anonymous_id_source)
            .field("timeout_ms", &self.timeout_ms)
            .field("use_journal", &self.use_journal)
            .field("fill_from_journal", &self.fill_from_journal)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .finish()
    }
}
