//! The inputs of one tag run: sGTM common event data (as the GA4 client produces it) and the
//! incoming HTTP request's context (URL, headers, cookies, remote address).
use crate::json::Value;
use crate::user_data::scalar_text;
use std::borrow::Cow;

/// The event keys that carry an event's own `event_id`, in the order they win (the config's
/// `eventId` beats them all): what ingestion and offline uploads look at before making one.
pub const EVENT_ID_KEYS: [&str; 3] = ["x-fb-sed-event_id", "x-fb-event_id", "event_id"];

/// sGTM event data. Keys are looked up literally first (`x-fb-ud-em`, or a flat
/// `user_data.email_address`), then as a dotted path into nested objects.
#[derive(Clone, Copy, Debug)]
pub struct EventData<'a> {
    root: &'a Value<'a>,
    /// One bit per top-level key ([`key_bit`]): a lookup whose bit is clear cannot match and
    /// skips the scan. A build asks for dozens of keys an event mostly lacks; most of those
    /// lookups end here.
    keys: u64,
}

/// The sketch bit of a key of `len` bytes ending in `last` (0 for the empty key).
fn key_bit(len: usize, last: u8) -> u64 {
    1 << ((len.wrapping_mul(7) ^ usize::from(last)) % 64)
}

fn bit_of(key: &str) -> u64 {
    key_bit(key.len(), key.as_bytes().last().copied().unwrap_or(0))
}

impl<'a> EventData<'a> {
    pub fn new(root: &'a Value<'a>) -> Self {
        let pairs = root.as_object().unwrap_or_default();
        let keys = pairs.iter().fold(0, |bits, (k, _)| bits | bit_of(k));
        EventData { root, keys }
    }

    pub fn root(&self) -> &'a Value<'a> {
        self.root
    }

    /// The last top-level value of `key` (`null` included), as [`Value::get`] finds it.
    fn top(&self, key: &str) -> Option<&'a Value<'a>> {
        if self.keys & bit_of(key) == 0 {
            return None;
        }
        self.root.get(key)
    }

    /// The value at `path`; `null` counts as absent.
    pub fn get(&self, path: &str) -> Option<&'a Value<'a>> {
        let literal = self.top(path);
        // A path without a dot has no nested reading: the literal lookup was the only one (a
        // build asks for dozens of keys an event mostly lacks; each is one scan, not two).
        literal
            .or_else(|| self.nested(path))
            .filter(|v| !v.is_null())
    }

    /// `a.b.c` read through nested objects; `None` for a path without a dot. The dots are
    /// found byte by byte: this runs for every path a build asks for, and `str::split` with a
    /// char pattern costs several times more on such short keys.
    fn nested(&self, path: &str) -> Option<&'a Value<'a>> {
        let dot = |s: &str| s.bytes().position(|b| b == b'.');
        let first = dot(path)?;
        let mut node = self.top(path.get(..first)?)?;
        let mut rest = path.get(first + 1..)?;
        while let Some(i) = dot(rest) {
            node = node.get(rest.get(..i)?)?;
            rest = rest.get(i + 1..)?;
        }
        node.get(rest)
    }

    /// The value at `<parent>.<key>` (for a `key` without dots), without building the path: as
    /// [`Self::get`] reads it, the flat key spelled so first, then `key` inside `parent`.
    pub fn get_child(&self, parent: &str, key: &str) -> Option<&'a Value<'a>> {
        let len = parent.len() + 1 + key.len();
        let bit = key_bit(len, key.as_bytes().last().copied().unwrap_or(b'.'));
        let literal = (self.keys & bit != 0)
            .then(|| {
                let is_path = |k: &str| {
                    k.len() == len
                        && k.starts_with(parent)
                        && k.ends_with(key)
                        && k.as_bytes().get(parent.len()) == Some(&b'.')
                };
                let pairs = self.root.as_object().unwrap_or_default();
                pairs.iter().rev().find(|(k, _)| is_path(k)).map(|(_, v)| v)
            })
            .flatten();
        literal
            .or_else(|| self.top(parent)?.get(key))
            .filter(|v| !v.is_null())
    }

    /// The trimmed text of a scalar at `path` (numbers as written); empty text counts as absent.
    pub fn text(&self, path: &str) -> Option<String> {
        self.str_at(path).map(str::to_string)
    }

    /// [`Self::text`] borrowed from the event: no copy for a caller that only reads it.
    pub fn str_at(&self, path: &str) -> Option<&'a str> {
        trimmed_text(self.get(path)?)
    }

    /// The first of `paths` that has text.
    pub fn first_text(&self, paths: &[&str]) -> Option<String> {
        self.first_str(paths).map(str::to_string)
    }

    /// [`Self::first_text`] borrowed from the event.
    pub fn first_str(&self, paths: &[&str]) -> Option<&'a str> {
        paths.iter().find_map(|p| self.str_at(p))
    }

    /// The top-level value of `<prefix><key>` (e.g. `x-fb-cd-` + `value`), without building
    /// the key. `null` counts as absent.
    pub fn prefixed(&self, prefix: &str, key: &str) -> Option<&'a Value<'a>> {
        let last = key.as_bytes().last().or(prefix.as_bytes().last());
        if self.keys & key_bit(prefix.len() + key.len(), last.copied().unwrap_or(0)) == 0 {
            return None;
        }
        let pairs = self.root.as_object().unwrap_or_default();
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k.strip_prefix(prefix) == Some(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// Top-level keys starting with `prefix`, with the prefix removed (`x-fb-ud-em` -> `em`).
    pub fn with_prefix(
        &self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Value<'a>)> + 'a {
        let pairs = self.root.as_object().unwrap_or_default();
        pairs.iter().filter_map(move |(k, v)| {
            let key = k.strip_prefix(prefix)?;
            (!key.is_empty() && !v.is_null()).then_some((key, v))
        })
    }
}

/// The trimmed text of a scalar (numbers as written); `None` for other values and blank text.
pub fn trimmed_text<'v>(v: &'v Value<'_>) -> Option<&'v str> {
    let t = scalar_text(v)?.trim();
    (!t.is_empty()).then_some(t)
}

/// The incoming request, as the host hands it over (all optional). Its texts borrow the request
/// context's JSON where they can (a header name already in lowercase, cookie pairs cut from a
/// header): read once per build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestContext<'a> {
    pub url: Option<Cow<'a, str>>,
    /// Header names lowercased.
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub cookies: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub remote_address: Option<Cow<'a, str>>,
    /// Who vouches for the event, as the container decided (`browser`: a GA4 hit or an
    /// unauthenticated `/event`; `server`: an authenticated backend); `None` outside a container.
    pub trust: Option<Cow<'a, str>>,
    /// The event was tried before (a queued event's later try): identity must not count the
    /// visit again.
    pub redelivery: bool,
}

impl<'a> RequestContext<'a> {
    /// Read `{url, headers, cookies, remoteAddress, trust, redelivery, attempts}`. `cookies` may
    /// be an object or a `Cookie` header string; a `cookie` header is read too. `attempts`: the
    /// tries a queued event had before this one (any makes this a redelivery). Anything
    /// unusable is ignored.
    pub fn from_json(v: &'a Value<'a>) -> RequestContext<'a> {
        let text = |key: &str| v.get(key).and_then(scalar_text).map(Cow::Borrowed);
        let mut ctx = RequestContext {
            url: text("url"),
            remote_address: text("remoteAddress").or_else(|| text("remote_address")),
            trust: text("trust"),
            redelivery: v.get("redelivery") == Some(&Value::Bool(true))
                || v.get("attempts")
                    .and_then(scalar_text)
                    .and_then(crate::number::count)
                    .is_some_and(|n| n > 0),
            ..RequestContext::default()
        };
        let headers = v.get("headers").and_then(Value::as_object);
        let headers = headers.unwrap_or_default();
        ctx.headers.reserve(headers.len());
        for (name, value) in headers {
            // Values pushed as found (no list of them per header: a container request has
            // a dozen headers).
            let mut push = |value: &'a str| {
                ctx.headers.push((lowercase(name), Cow::Borrowed(value)));
            };
            match value {
                Value::Array(items) => items.iter().filter_map(scalar_text).for_each(&mut push),
                other => scalar_text(other).into_iter().for_each(&mut push),
            }
        }
        match v.get("cookies") {
            Some(Value::Object(pairs)) => {
                for (name, value) in pairs {
                    if let Some(value) = scalar_text(value) {
                        ctx.cookies
                            .push((Cow::Borrowed(name), Cow::Borrowed(value)));
                    }
                }
            }
            Some(Value::String(header)) => ctx.cookies.extend(parse_cookie_header(header)),
            _ => {}
        }
        let RequestContext {
            headers, cookies, ..
        } = &mut ctx;
        for (_, header) in headers.iter().filter(|(n, _)| n == "cookie") {
            // Cut from a borrowed header, the pairs borrow it too.
            match header {
                Cow::Borrowed(header) => cookies.extend(parse_cookie_header(header)),
                Cow::Owned(header) => cookies.extend(
                    parse_cookie_header(header)
                        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned()))),
                ),
            }
        }
        ctx
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The first cookie of that name.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// A `Cookie` header's `name=value` pairs (quotes around a value dropped, nameless ones skipped).
fn parse_cookie_header(header: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    header.split(';').filter_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let (k, v) = (k.trim(), v.trim().trim_matches('"'));
        (!k.is_empty()).then_some((Cow::Borrowed(k), Cow::Borrowed(v)))
    })
}

/// A header name in lowercase, borrowed when it already is (as `fetch` and Node give them).
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Json};

    #[test]
    fn literal_keys_then_paths() {
        let v = parse(r#"{"user_data": {"email_address": " a@b.co ", "address": [{"city": "X"}]},
            "user_data.phone_number": "1", "x-fb-ud-em": "e", "x-fb-cd-foo": null, "n": 5, "e": ""}"#)
        .expect("parses");
        let ev = EventData::new(&v);
        assert_eq!(
            ev.text("user_data.email_address").as_deref(),
            Some("a@b.co")
        );
        assert_eq!(ev.text("user_data.phone_number").as_deref(), Some("1"));
        assert_eq!(ev.text("n").as_deref(), Some("5"));
        assert_eq!(ev.text("e"), None);
        assert_eq!(
            ev.first_text(&["missing", "x-fb-ud-em"]).as_deref(),
            Some("e")
        );
        let deep = parse(
            r#"{"a": {"b": {"c": 1, "": {"d": 2}}, "": 3}, "a.b": null, "x.": 4,
            "x": {"": 5}, "c": {"s": 6}, "c.s": 7, "é": {"ü": 8}}"#,
        )
        .expect("parses");
        let deep = EventData::new(&deep);
        let num = |path: &str| deep.get(path).and_then(scalar_text);
        assert_eq!(num("a.b.c"), Some("1"));
        assert_eq!(num("a..d"), None);
        assert_eq!(num("a.b..d"), Some("2"));
        assert_eq!(num("a."), Some("3"));
        assert_eq!(num("x."), Some("4"));
        assert_eq!(num("c.s"), Some("7"));
        assert_eq!(num("é.ü"), Some("8"));
        assert_eq!(
            deep.get("a.b"),
            None,
            "a flat null shadows the nested object"
        );
        assert_eq!(deep.get("a.b.c.d"), None);
        for (parent, key) in [
            ("a", "b"),
            ("c", "s"),
            ("x", ""),
            ("a", ""),
            ("é", "ü"),
            ("q", "r"),
        ] {
            let path = format!("{parent}.{key}");
            assert_eq!(deep.get_child(parent, key), deep.get(&path), "{path}");
        }
        let ud: Vec<_> = ev.with_prefix("x-fb-ud-").map(|(k, _)| k).collect();
        assert_eq!(ud, vec!["em"]);
        assert_eq!(ev.with_prefix("x-fb-cd-").count(), 0);
    }

    /// The key sketch never hides a key: every key of an event is found by `get`, by `prefixed`
    /// at every split of it, by `get_child` at its dot; keys it lacks are not.
    #[test]
    fn the_key_sketch_never_hides_a_key() {
        let keys = [
            "",
            "a",
            "x-fb-sed-",
            "x-fb-sed-event_id",
            "x-fb-cd-value",
            "consent_state.ad_storage",
            "é",
            "ü.é",
            "user_data.email_address",
            "a.",
            ".b",
            "page_location",
            "value",
        ];
        let mut pairs: Vec<(crate::json::Key, Json)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            pairs.push((k.to_string().into(), Json::from(i)));
        }
        let v = Json::Object(pairs);
        let ev = EventData::new(&v);
        for (i, key) in keys.iter().enumerate() {
            let want = Some(Json::from(i));
            assert_eq!(ev.get(key).cloned(), want, "{key:?}");
            for (at, _) in key.char_indices().chain([(key.len(), ' ')]) {
                let (prefix, rest) = key.split_at(at);
                assert_eq!(
                    ev.prefixed(prefix, rest).cloned(),
                    want,
                    "{prefix:?} {rest:?}"
                );
            }
            if let Some((parent, child)) = key.split_once('.') {
                assert_eq!(ev.get_child(parent, child).cloned(), want, "{key:?}");
            }
        }
        for missing in [
            "b",
            "x-fb-sed-event_time",
            "valuf",
            "page_locatiom",
            "ad_storage",
        ] {
            assert_eq!(ev.get(missing), None, "{missing}");
            assert_eq!(ev.prefixed("x-fb-cd-", missing), None, "{missing}");
        }
    }

    #[test]
    fn a_context_with_earlier_tries_is_a_redelivery() {
        let redelivery =
            |text: &str| RequestContext::from_json(&parse(text).expect("json")).redelivery;
        assert!(!redelivery("{}"));
        assert!(!redelivery(r#"{"attempts": 0}"#));
        assert!(redelivery(r#"{"attempts": 1}"#));
        assert!(redelivery(r#"{"attempts": "3"}"#));
        assert!(redelivery(r#"{"redelivery": true}"#));
        assert!(!redelivery(r#"{"attempts": -2, "redelivery": "yes"}"#));
    }

    #[test]
    fn request_context_reads_cookies_from_object_string_and_header() {
        let v = parse(r#"{"url": "https://x.com/?a", "headers": {"User-Agent": "UA", "Cookie": "_fbp=fb.1.2.3; other=\"q\""},
            "cookies": {"_fbc": "fb.1.2.abc"}, "remoteAddress": "1.2.3.4"}"#)
        .expect("parses");
        let r = RequestContext::from_json(&v);
        assert_eq!(r.header("user-agent"), Some("UA"));
        assert_eq!(r.cookie("_fbc"), Some("fb.1.2.abc"));
        assert_eq!(r.cookie("_fbp"), Some("fb.1.2.3"));
        assert_eq!(r.cookie("other"), Some("q"));
        assert_eq!(r.remote_address.as_deref(), Some("1.2.3.4"));
        assert_eq!(
            RequestContext::from_json(&Json::Null),
            RequestContext::default()
        );
        let v = parse(
            r#"{"headers": {"X-A": ["p", 3, null], "Cookie": ["a=1; =x; b", "c=\"3\""],
            "cookie": "d = 4 "}, "cookies": "z=0"}"#,
        )
        .expect("parses");
        let r = RequestContext::from_json(&v);
        let pairs = |v: &[(Cow<str>, Cow<str>)]| {
            v.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            pairs(&r.headers),
            "x-a=p,x-a=3,cookie=a=1; =x; b,cookie=c=\"3\",cookie=d = 4 "
        );
        assert_eq!(pairs(&r.cookies), "z=0,a=1,c=3,d=4");
    }
}
