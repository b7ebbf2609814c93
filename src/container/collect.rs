//! GA4 hits (gtag.js `/g/collect`) -> sGTM common event data: the JSON the GA4 client of a
//! server-side GTM container hands to tags, one object per event.
//!
//! A hit is a query string (the parameters shared by every event of the hit) and a POST body.
//! gtag batches events: each non-blank body line is one event, written like a query string, and
//! its parameters override or extend the shared ones. With an empty or blank body the query
//! string alone is the one event. At most [`MAX_EVENTS_PER_HIT`] body lines are read; the rest
//! are refused with one problem.
//!
//! Parameters are `&`-separated; names and values are percent-decoded (`+` is a space); a
//! parameter without `=` is a flag with the value `""`; a repeated parameter in one source
//! (the query string, or one body line) keeps its last value. A parameter whose name or value
//! does not decode to UTF-8 is a problem and only that parameter is skipped; a parameter with
//! an empty name is ignored. A line without an event name (`en`, empty counts as missing)
//! after merging is a problem and gives no event; the other lines still give theirs.
//!
//! # Mapping
//!
//! | GA4 parameter        | event data key                 | notes                              |
//! |----------------------|--------------------------------|------------------------------------|
//! | `en`                 | `event_name`                   | always the first key               |
//! | `cid`                | `client_id`                    |                                    |
//! | `uid`                | `user_id`                      |                                    |
//! | `dl`                 | `page_location`                |                                    |
//! | `dr`                 | `page_referrer`                |                                    |
//! | `dt`                 | `page_title`                   |                                    |
//! | `ul`                 | `language`                     |                                    |
//! | `sr`                 | `screen_resolution`            |                                    |
//! | `cu`                 | `currency`                     |                                    |
//! | `sid`                | `ga_session_id`                | string                             |
//! | `sct`                | `ga_session_number`            | number (else a problem, skipped)   |
//! | `_et`                | `engagement_time_msec`         | number (else a problem, skipped)   |
//! | `tid`                | `x-ga-measurement_id`          |                                    |
//! | `v`                  | `x-ga-protocol_version`        |                                    |
//! | `gtm`                | `x-ga-gtm_version`             |                                    |
//! | `_p`                 | `x-ga-page_id`                 |                                    |
//! | `_s`                 | `x-ga-request_count`           |                                    |
//! | `gcs`                | `x-ga-gcs`                     | and `consent_state` (below)        |
//! | `gcd`                | `x-ga-gcd`                     | and `consent_state` (below)        |
//! | `npa`                | `x-ga-npa`                     |                                    |
//! | `dma`                | `x-ga-dma`                     |                                    |
//! | `dma_cps`            | `x-ga-dma_cps`                 |                                    |
//! | `ir`                 | `x-ga-ir`                      |                                    |
//! | `ep.<name>`          | `<name>`                       | string                             |
//! | `epn.<name>`         | `<name>`                       | JSON number (else a problem)       |
//! | `up.<name>`          | `user_properties.<name>`       | string                             |
//! | `upn.<name>`         | `user_properties.<name>`       | JSON number (else a problem)       |
//! | `pr1`..`pr200`       | `items[]`                      | sorted by number (below)           |
//! | `em`                 | `user_data.*`                  | user-provided data (below)         |
//! | anything else        | (dropped)                      | `_ss`, `_fv`, `uaa`, `frm`, ...    |
//!
//! A JSON number is `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`, kept as written.
//!
//! When two parameters give the same key, a protocol parameter (and the nested `user_data`,
//! `user_properties`, `consent_state`, `items`) beats an `ep.`/`epn.` parameter whatever their
//! order (`ep.currency` never replaces `cu`); between two of the same kind the later one wins.
//! Keys come in the order their parameter is first seen (query string first, then the line),
//! `event_name` first; the nested objects sit where their first contributing parameter is.
//!
//! **Items** (`prN`, N in 1..=200 without leading zeros; other numbers are a problem): the
//! decoded value is split on `~`, each field is a 2-character key and its value:
//!
//! | key  | item key          | key  | item key          | key  | item key          |
//! |------|-------------------|------|-------------------|------|-------------------|
//! | `id` | `item_id`         | `va` | `item_variant`    | `af` | `affiliation`     |
//! | `nm` | `item_name`       | `pr` | `price` (number)  | `lo` | `location_id`     |
//! | `br` | `item_brand`      | `qt` | `quantity` (num.) | `cn` | `creative_name`   |
//! | `ca` | `item_category`   | `ds` | `discount` (num.) | `cs` | `creative_slot`   |
//! | `c2` | `item_category2`  | `cp` | `coupon`          | `pi` | `promotion_id`    |
//! | `c3` | `item_category3`  | `ln` | `item_list_name`  | `pn` | `promotion_name`  |
//! | `c4` | `item_category4`  | `li` | `item_list_id`    |      |                   |
//! | `c5` | `item_category5`  | `lp` | `index` (number)  |      |                   |
//!
//! Numeric fields that are not JSON numbers stay strings. `k<d>`/`v<d>` (d a digit) pairs are
//! custom item parameters (`k0size~v0XL` -> `"size": "XL"`; a `k`/`v` without its partner is
//! kept under its raw key, a pair with an empty name is dropped); other keys are kept under the
//! raw 2-character key; fields shorter than 2 characters are ignored; an item with no fields is
//! left out. Standard fields beat custom ones with the same name.
//!
//! **User-provided data** (`em`, gtag's `tv.1~em.<value>~ph.<value>`): `~`-separated tokens,
//! each `<key>.<value>` (split at the first `.`); `em` and `ph` are read (the last of each
//! wins), everything else is ignored. A value of 64 hex digits is a SHA-256 (lower-cased into
//! `user_data.sha256_email_address` / `sha256_phone_number`); 43 base64url characters that
//! decode to exactly 32 bytes (unused trailing bits zero) are a SHA-256 too, written as
//! lowercase hex; anything else is plaintext (`user_data.email_address` / `phone_number`; a
//! literal `+` in the hit is a space, so a `+1 ...` phone number must arrive as `%2B1`).
//!
//! **Consent** (`consent_state.{ad_storage, analytics_storage, ad_user_data,
//! ad_personalization}`, `"granted"` / `"denied"`, only the signals that are set):
//! - `gcs` = `G1<ad_storage><analytics_storage>`, each `1` granted or `0` denied;
//! - `gcd` = two digits, then letter+digit pairs; the letters, in order, are ad_storage,
//!   analytics_storage, ad_user_data, ad_personalization (later pairs are ignored): `t r n v`
//!   granted, `p q m u` denied, anything else (`l`) not set;
//! - per signal, a set `gcd` letter beats `gcs`. Malformed values are not decoded (no problem);
//!   the raw `x-ga-gcs` / `x-ga-gcd` are kept either way.
use crate::json::{Json, Key};
use crate::url::decode_component;

#[cfg(test)]
mod tests;

/// Most body lines (events) read from one hit; the lines after them are refused with a problem.
pub const MAX_EVENTS_PER_HIT: usize = 100;

/// Highest item parameter number (`pr200`).
const MAX_ITEMS: u32 = 200;

/// Parameter names quoted in problems are cut to this many characters.
const MAX_NAME_IN_MESSAGE: usize = 64;
/// Parameters read per source (the query string, or one body line); gtag sends far fewer, and
/// the cap bounds the work a crafted hit can cause.
pub const MAX_PARAMS_PER_SOURCE: usize = 1000;

/// Something wrong in a hit. Messages name parameters, never their values (values may be PII).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 0 = the query string, 1.. = the body line (counting every line, blank ones too).
    pub line: usize,
    pub message: String,
}

/// The events of a hit (sGTM common event data, in line order) and what was wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub events: Vec<Json>,
    pub problems: Vec<Problem>,
}

/// Protocol parameters copied as strings: (parameter, event data key).
const TEXT_PARAMS: &[(&str, &str)] = &[
    ("en", "event_name"),
    ("cid", "client_id"),
    ("uid", "user_id"),
    ("dl", "page_location"),
    ("dr", "page_referrer"),
    ("dt", "page_title"),
    ("ul", "language"),
    ("sr", "screen_resolution"),
    ("cu", "currency"),
    ("sid", "ga_session_id"),
    ("tid", "x-ga-measurement_id"),
    ("v", "x-ga-protocol_version"),
    ("gtm", "x-ga-gtm_version"),
    ("_p", "x-ga-page_id"),
    ("_s", "x-ga-request_count"),
    ("gcs", "x-ga-gcs"),
    ("gcd", "x-ga-gcd"),
    ("npa", "x-ga-npa"),
    ("dma", "x-ga-dma"),
    ("dma_cps", "x-ga-dma_cps"),
    ("ir", "x-ga-ir"),
];

/// Protocol parameters that must be JSON numbers: (parameter, event data key).
const NUMBER_PARAMS: &[(&str, &str)] = &[
    ("sct", "ga_session_number"),
    ("_et", "engagement_time_msec"),
];

/// Item fields: (2-character key, item key, numeric).
const ITEM_FIELDS: &[(&str, &str, bool)] = &[
    ("id", "item_id", false),
    ("nm", "item_name", false),
    ("br", "item_brand", false),
    ("ca", "item_category", false),
    ("c2", "item_category2", false),
    ("c3", "item_category3", false),
    ("c4", "item_category4", false),
    ("c5", "item_category5", false),
    ("va", "item_variant", false),
    ("pr", "price", true),
    ("qt", "quantity", true),
    ("ds", "discount", true),
    ("cp", "coupon", false),
    ("ln", "item_list_name", false),
    ("li", "item_list_id", false),
    ("lp", "index", true),
    ("af", "affiliation", false),
    ("lo", "location_id", false),
    ("cn", "creative_name", false),
    ("cs", "creative_slot", false),
    ("pi", "promotion_id", false),
    ("pn", "promotion_name", false),
];

/// Consent signals, in `gcd` order.
const CONSENT_SIGNALS: [&str; 4] = [
    "ad_storage",
    "analytics_storage",
    "ad_user_data",
    "ad_personalization",
];

/// Key precedence: a higher rank replaces a lower or equal one, never the reverse.
const RANK_CUSTOM: u8 = 1;
const RANK_PROTOCOL: u8 = 2;

/// Parse one GA4 hit. `query`: the URL's query string without `?`; `body`: the POST body (`""`
/// for GET). Never panics; every event that can be built is returned, whatever else is wrong.
pub fn parse_hit(query: &str, body: &str) -> Parsed {
    let mut problems = Vec::new();
    let shared = parse_params(query, 0, &mut problems);
    let mut events = Vec::new();
    let mut read = 0usize;
    let mut refused: Option<(usize, usize)> = None; // (first refused line, how many)
    for (i, raw_line) in body.split('\n').enumerate() {
        let line_no = i.saturating_add(1);
        let text = raw_line.trim();
        if text.is_empty() {
            continue;
        }
        if read >= MAX_EVENTS_PER_HIT {
            let entry = refused.get_or_insert((line_no, 0));
            entry.1 = entry.1.saturating_add(1);
            continue;
        }
        read += 1;
        let mut params = shared.clone();
        for (name, value) in parse_params(text, line_no, &mut problems).entries {
            params.insert(name, value);
        }
        if let Some(event) = build_event(&params, line_no, &mut problems) {
            events.push(event);
        }
    }
    if read == 0 {
        if let Some(event) = build_event(&shared, 0, &mut problems) {
            events.push(event);
        }
    }
    if let Some((line, count)) = refused {
        problems.push(Problem {
            line,
            message: format!(
                "{}: more than {MAX_EVENTS_PER_HIT} events in one hit; {count} line(s) from here on ignored",
                place(line)
            ),
        });
    }
    Parsed { events, problems }
}

/// Where a problem is, for its message.
fn place(line: usize) -> String {
    if line == 0 {
        "query string".to_string()
    } else {
        format!("line {line}")
    }
}

fn problem(problems: &mut Vec<Problem>, line: usize, what: &str) {
    problems.push(Problem {
        line,
        message: format!("{}: {what}", place(line)),
    });
}

/// A parameter name fit for a message: cut short, quoted and escaped as a JSON string (not
/// `{:?}`: Debug formatting would pull Unicode printability tables into the wasm).
fn quoted(name: &str) -> String {
    let cut: String = name.chars().take(MAX_NAME_IN_MESSAGE).collect();
    let shortened = cut.len() < name.len();
    let mut text = Json::from(cut).to_json();
    if shortened {
        text.push_str("...");
    }
    text
}

/// Key -> value with insertion order kept; replacing a key keeps its position.
#[derive(Clone, Debug)]
struct Ordered<V> {
    entries: Vec<(String, V)>,
    /// (key, position in `entries`) sorted by key: binary search without a BTreeMap, whose code
    /// costs ~13 KB of wasm.
    index: Vec<(String, usize)>,
}

impl<V> Ordered<V> {
    fn new() -> Self {
        Ordered {
            entries: Vec::new(),
            index: Vec::new(),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.index.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let at = self.find(key).ok()?;
        let i = self.index.get(at)?.1;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    fn insert(&mut self, key: String, value: V) {
        match self.find(&key) {
            Ok(at) => {
                if let Some(slot) = self
                    .index
                    .get(at)
                    .and_then(|(_, i)| self.entries.get_mut(*i))
                {
                    slot.1 = value;
                }
            }
            Err(at) => {
                self.index.insert(at, (key.clone(), self.entries.len()));
                self.entries.push((key, value));
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// An object under construction, each key with the rank of what wrote it.
type Fields = Ordered<(Json, u8)>;

impl Fields {
    /// Write `key` unless a higher-ranked value is already there.
    fn put(&mut self, key: &str, value: Json, rank: u8) {
        match self.get_mut(key) {
            Some(slot) if slot.1 > rank => {}
            Some(slot) => *slot = (value, rank),
            None => self.insert(key.to_string(), (value, rank)),
        }
    }

    fn into_json(self) -> Json {
        Json::Object(
            self.entries
                .into_iter()
                .map(|(k, (v, _))| (Key::from(k), v))
                .collect(),
        )
    }
}

/// The decoded parameters of one source (the query string or one body line).
fn parse_params(source: &str, line: usize, problems: &mut Vec<Problem>) -> Ordered<String> {
    let mut params = Ordered::new();
    for (n, pair) in source.split('&').filter(|p| !p.is_empty()).enumerate() {
        if n == MAX_PARAMS_PER_SOURCE {
            let what =
                format!("more than {MAX_PARAMS_PER_SOURCE} parameters; the rest are ignored");
            problem(problems, line, &what);
            break;
        }
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = decode_component(raw_name) else {
            let what = format!(
                "parameter name {} is not valid percent-encoded UTF-8; skipped",
                quoted(raw_name)
            );
            problem(problems, line, &what);
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let Some(value) = decode_component(raw_value) else {
            let what = format!(
                "the value of parameter {} is not valid percent-encoded UTF-8; skipped",
                quoted(&name)
            );
            problem(problems, line, &what);
            continue;
        };
        params.insert(name, value);
    }
    params
}

/// Whether `text` is a JSON number: `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
fn is_json_number(text: &str) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut s = text.as_bytes();
    if let Some(rest) = s.strip_prefix(b"-") {
        s = rest;
    }
    match s.first() {
        Some(b'0') => s = s.get(1..).unwrap_or_default(),
        Some(b'1'..=b'9') => s = s.get(digits(s)..).unwrap_or_default(),
        _ => return false,
    }
    if let Some(rest) = s.strip_prefix(b".") {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = rest.get(n..).unwrap_or_default();
    }
    if let Some(rest) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        s = rest.get(n..).unwrap_or_default();
    }
    s.is_empty()
}

/// The nested parts of an event, gathered while its parameters are read.
#[derive(Default)]
struct Nested {
    user_data: Option<Vec<(Key, Json)>>,
    user_properties: Option<Fields>,
    /// (item number, item object).
    items: Vec<(u32, Json)>,
    /// From `gcs`: ad_storage, analytics_storage.
    gcs: [Option<bool>; 2],
    /// From `gcd`, in `CONSENT_SIGNALS` order.
    gcd: [Option<bool>; 4],
}

/// One event from its merged parameters; `None` (and a problem) without an event name.
fn build_event(params: &Ordered<String>, line: usize, problems: &mut Vec<Problem>) -> Option<Json> {
    let mut out = Fields::new();
    let mut nested = Nested::default();
    for (name, value) in &params.entries {
        read_param(name, value, line, &mut out, &mut nested, problems);
    }
    let has_name = matches!(
        out.get_mut("event_name"),
        Some((Json::String(n), RANK_PROTOCOL)) if !n.is_empty()
    );
    if !has_name {
        problem(problems, line, "no event name (en)");
        return None;
    }

    // Fill the places reserved for the nested objects.
    if let Some(user_data) = nested.user_data.take() {
        out.put("user_data", Json::Object(user_data), RANK_PROTOCOL);
    }
    if let Some(props) = nested.user_properties.take() {
        out.put("user_properties", props.into_json(), RANK_PROTOCOL);
    }
    if !nested.items.is_empty() {
        let mut items = std::mem::take(&mut nested.items);
        crate::sort::by_key(&mut items, |(n, _)| *n);
        let array = Json::Array(items.into_iter().map(|(_, item)| item).collect());
        out.put("items", array, RANK_PROTOCOL);
    }
    if let Some(consent) = consent_state(nested.gcs, nested.gcd) {
        out.put("consent_state", consent, RANK_PROTOCOL);
    }

    // event_name first, the rest in the order first seen. A reserved place never filled (not
    // expected: places are reserved only for what was found) is left out.
    let mut pairs: Vec<(Key, Json)> = Vec::with_capacity(out.entries.len());
    let mut rest = Vec::with_capacity(out.entries.len());
    for (k, (v, _)) in out.entries {
        if v.is_null() {
            continue;
        }
        if k == "event_name" {
            pairs.push((k.into(), v));
        } else {
            rest.push((Key::from(k), v));
        }
    }
    pairs.extend(rest);
    Some(Json::Object(pairs))
}

/// Reserve the place of a nested object at its first contributing parameter (filled at the end).
fn reserve(out: &mut Fields, key: &str) {
    let reserved = matches!(out.get_mut(key), Some((_, RANK_PROTOCOL)));
    if !reserved {
        out.put(key, Json::Null, RANK_PROTOCOL);
    }
}

fn read_param(
    name: &str,
    value: &str,
    line: usize,
    out: &mut Fields,
    nested: &mut Nested,
    problems: &mut Vec<Problem>,
) {
    let not_a_number = |problems: &mut Vec<Problem>| {
        let what = format!("parameter {} is not a JSON number; skipped", quoted(name));
        problem(problems, line, &what);
    };

    if let Some((_, key)) = TEXT_PARAMS.iter().find(|(p, _)| *p == name) {
        out.put(key, Json::from(value), RANK_PROTOCOL);
        if name == "gcs" {
            if let Some(signals) = decode_gcs(value) {
                nested.gcs = signals;
                reserve(out, "consent_state");
            }
        } else if name == "gcd" {
            if let Some(signals) = decode_gcd(value).filter(|s| s.iter().any(Option::is_some)) {
                nested.gcd = signals;
                reserve(out, "consent_state");
            }
        }
        return;
    }
    if let Some((_, key)) = NUMBER_PARAMS.iter().find(|(p, _)| *p == name) {
        if is_json_number(value) {
            out.put(key, Json::Number(value.to_string().into()), RANK_PROTOCOL);
        } else {
            not_a_number(problems);
        }
        return;
    }
    if name == "em" {
        let found = user_provided_data(value);
        if !found.is_empty() {
            nested.user_data = Some(found);
            reserve(out, "user_data");
        }
        return;
    }
    if let Some(number) = name.strip_prefix("pr") {
        read_item(name, number, value, line, out, nested, problems);
        return;
    }

    // Event and user parameters: (prefix, numeric, user property).
    const PREFIXES: [(&str, bool, bool); 4] = [
        ("epn.", true, false),
        ("ep.", false, false),
        ("upn.", true, true),
        ("up.", false, true),
    ];
    let Some((key, numeric, user)) = PREFIXES
        .iter()
        .find_map(|(p, numeric, user)| name.strip_prefix(p).map(|k| (k, *numeric, *user)))
    else {
        return; // an unknown protocol parameter: not part of the event
    };
    if key.is_empty() {
        let what = format!(
            "parameter {} has no name after its prefix; skipped",
            quoted(name)
        );
        problem(problems, line, &what);
        return;
    }
    let json = if numeric {
        if !is_json_number(value) {
            not_a_number(problems);
            return;
        }
        Json::Number(value.to_string().into())
    } else {
        Json::from(value)
    };
    if user {
        nested
            .user_properties
            .get_or_insert_with(Fields::new)
            .put(key, json, RANK_CUSTOM);
        reserve(out, "user_properties");
    } else {
        out.put(key, json, RANK_CUSTOM);
    }
}

/// `prN`: an item when N is 1..=200 written without leading zeros.
fn read_item(
    name: &str,
    number: &str,
    value: &str,
    line: usize,
    out: &mut Fields,
    nested: &mut Nested,
    problems: &mut Vec<Problem>,
) {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return; // not an item parameter (an unknown protocol parameter)
    }
    let n = if number.starts_with('0') {
        None
    } else {
        number
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_ITEMS).contains(n))
    };
    let Some(n) = n else {
        let what = format!(
            "parameter {} is not an item number from pr1 to pr{MAX_ITEMS}; skipped",
            quoted(name)
        );
        problem(problems, line, &what);
        return;
    };
    let item = parse_item(value);
    if !item.is_empty() {
        nested.items.push((n, item.into_json()));
        reserve(out, "items");
    }
}

/// Set the pending text of custom-parameter digit `d` (the later one wins).
fn set_digit<'a>(pending: &mut Vec<(char, &'a str)>, d: char, text: &'a str) {
    match pending.iter_mut().find(|(n, _)| *n == d) {
        Some(slot) => slot.1 = text,
        None => pending.push((d, text)),
    }
}

/// One item's fields from its `~`-separated value.
fn parse_item(value: &str) -> Fields {
    let mut item = Fields::new();
    // Custom parameters waiting for their partner, by digit: k<d> names and v<d> values.
    let mut names: Vec<(char, &str)> = Vec::new();
    let mut values: Vec<(char, &str)> = Vec::new();
    for field in value.split('~') {
        let split = match field.char_indices().nth(2) {
            Some((i, _)) => i,
            None if field.chars().count() == 2 => field.len(), // a key with an empty value
            None => continue,
        };
        let (key, text) = field.split_at(split);
        if let Some((_, item_key, numeric)) = ITEM_FIELDS.iter().find(|(k, _, _)| *k == key) {
            let json = if *numeric && is_json_number(text) {
                Json::Number(text.to_string().into())
            } else {
                Json::from(text)
            };
            item.put(item_key, json, RANK_PROTOCOL);
            continue;
        }
        let mut chars = key.chars();
        let custom = match (chars.next(), chars.next()) {
            (Some(kind @ ('k' | 'v')), Some(d)) if d.is_ascii_digit() => Some((kind, d)),
            _ => None,
        };
        let Some((kind, d)) = custom else {
            item.put(key, Json::from(text), RANK_CUSTOM);
            continue;
        };
        let pending = if kind == 'k' { &mut names } else { &mut values };
        set_digit(pending, d, text);
        let name = names.iter().position(|(n, _)| *n == d);
        let value = values.iter().position(|(n, _)| *n == d);
        if let (Some(n), Some(v)) = (name, value) {
            let (_, k) = names.remove(n);
            let (_, v) = values.remove(v);
            if !k.is_empty() {
                item.put(k, Json::from(v), RANK_CUSTOM);
            }
        }
    }
    // Custom names or values without their partner, in digit order: kept under their raw key.
    crate::sort::by_key(&mut names, |(d, _)| *d);
    crate::sort::by_key(&mut values, |(d, _)| *d);
    for (d, text) in names {
        item.put(&format!("k{d}"), Json::from(text), RANK_CUSTOM);
    }
    for (d, text) in values {
        item.put(&format!("v{d}"), Json::from(text), RANK_CUSTOM);
    }
    item
}

/// `user_data` keys from gtag's user-provided data (`tv.1~em.<value>~ph.<value>`), in the order
/// their kind first appears; the last value of a kind wins, whichever form it has.
fn user_provided_data(value: &str) -> Vec<(Key, Json)> {
    let mut found: Vec<(&str, String, Json)> = Vec::new(); // (kind, key, value)
    for token in value.split('~') {
        let Some((kind, text)) = token.split_once('.') else {
            continue;
        };
        let (hashed, plain) = match kind {
            "em" => ("sha256_email_address", "email_address"),
            "ph" => ("sha256_phone_number", "phone_number"),
            _ => continue,
        };
        if text.is_empty() {
            continue;
        }
        let entry = match sha256_hex(text) {
            Some(hex) => (kind, hashed.to_string(), Json::from(hex)),
            None => (kind, plain.to_string(), Json::from(text)),
        };
        match found.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(slot) => *slot = entry,
            None => found.push(entry),
        }
    }
    found
        .into_iter()
        .map(|(_, k, v)| (Key::from(k), v))
        .collect()
}

/// A SHA-256 digest as lowercase hex, from 64 hex digits or 43 base64url characters.
fn sha256_hex(text: &str) -> Option<String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(text.to_ascii_lowercase());
    }
    // 43 characters: 32 bytes and 2 unused bits (which the decoder requires to be zero).
    if text.len() != 43 {
        return None;
    }
    let bytes = crate::base64::decode(text, true).filter(|b| b.len() == 32)?;
    Some(crate::hash::hex(&bytes))
}

/// `gcs` = `G1<ad_storage><analytics_storage>`, digits `0` (denied) / `1` (granted).
fn decode_gcs(value: &str) -> Option<[Option<bool>; 2]> {
    let digit = |b: u8| match b {
        b'0' => Some(false),
        b'1' => Some(true),
        _ => None,
    };
    match value.as_bytes() {
        [b'G', b'1', ad, analytics] => Some([Some(digit(*ad)?), Some(digit(*analytics)?)]),
        _ => None,
    }
}

/// `gcd` = two digits, then letter+digit pairs; the first four letters are the signals of
/// `CONSENT_SIGNALS`. `None` when it does not have that shape.
fn decode_gcd(value: &str) -> Option<[Option<bool>; 4]> {
    let bytes = value.as_bytes();
    let (head, pairs) = (bytes.get(..2)?, bytes.get(2..)?);
    if !head.iter().all(u8::is_ascii_digit) || pairs.is_empty() || pairs.len() % 2 != 0 {
        return None;
    }
    let mut signals = [None; 4];
    for (i, pair) in pairs.chunks(2).enumerate() {
        let [letter, digit] = pair else { return None };
        if !letter.is_ascii_alphabetic() || !digit.is_ascii_digit() {
            return None;
        }
        if let Some(slot) = signals.get_mut(i) {
            *slot = match letter {
                b't' | b'r' | b'n' | b'v' => Some(true),
                b'p' | b'q' | b'm' | b'u' => Some(false),
                _ => None,
            };
        }
    }
    Some(signals)
}

/// `consent_state` from the decoded signals (gcd beats gcs per signal); `None` when none is set.
fn consent_state(gcs: [Option<bool>; 2], gcd: [Option<bool>; 4]) -> Option<Json> {
    let pairs: Vec<(Key, Json)> = CONSENT_SIGNALS
        .iter()
        .enumerate()
        .filter_map(|(i, signal)| {
            let from_gcs = gcs.get(i).copied().flatten();
            let granted = gcd.get(i).copied().flatten().or(from_gcs)?;
            let state = if granted { "granted" } else { "denied" };
            Some((Key::from(*signal), Json::from(state)))
        })
        .collect();
    (!pairs.is_empty()).then_some(Json::Object(pairs))
}
