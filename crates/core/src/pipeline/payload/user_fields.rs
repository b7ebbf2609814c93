//! Where each `user_data` key comes from in sGTM event data (first source with a value wins;
//! `x-fb-ud-<key>` beats the automatic mapping, config `userData` beats both). The result is a
//! raw record, hashed afterwards by `crate::user_data`.
use crate::event_data::{trimmed_text, EventData, RequestContext};
use crate::json::Value;
use crate::model::config::TagConfig;
use crate::user_data::scalar_text;
use std::borrow::Cow;

/// An event path the mapping reads: a top-level key, or (`Ud*`) a key of the `user_data`
/// object, which a flat top-level key spelled `user_data.<key>` beats (as [`EventData::get`]
/// reads a dotted path). Typed so that the event's keys are matched against all of them in one
/// pass ([`Found`]) instead of one scan of the event per path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Email,
    Phone,
    FirstName,
    FirstNameCamel,
    FirstNamePascal,
    NameFirst,
    LastName,
    LastNameCamel,
    LastNamePascal,
    NameLast,
    City,
    Region,
    State,
    PostalCode,
    Zip,
    Country,
    CountryCode,
    Gender,
    DateOfBirth,
    Db,
    UserId,
    ExternalId,
    UserIdCamel,
    UserAgent,
    FbLoginId,
    SubscriptionId,
    SubscriptionIdCamel,
    LeadId,
    LeadIdCamel,
    AnonId,
    Madid,
    UdSha256Email,
    UdEmailAddress,
    UdEmail,
    UdSha256Phone,
    UdPhoneNumber,
    UdPhone,
    UdFirstName,
    UdLastName,
    UdRegion,
    UdPostalCode,
    UdCountry,
    UdGender,
    UdDateOfBirth,
    UdExternalId,
    UdFbLoginId,
    UdAddress,
}

/// How many [`Path`]s there are (the last one's index plus one).
const PATHS: usize = Path::UdAddress as usize + 1;

impl Path {
    /// The path a top-level key names, for keys without `user_data.`.
    fn top(key: &str) -> Option<Path> {
        use Path::*;
        Some(match key {
            "email" => Email,
            "phone" => Phone,
            "first_name" => FirstName,
            "firstName" => FirstNameCamel,
            "FirstName" => FirstNamePascal,
            "nameFirst" => NameFirst,
            "last_name" => LastName,
            "lastName" => LastNameCamel,
            "LastName" => LastNamePascal,
            "nameLast" => NameLast,
            "city" => City,
            "region" => Region,
            "state" => State,
            "postal_code" => PostalCode,
            "zip" => Zip,
            "country" => Country,
            "countryCode" => CountryCode,
            "gender" => Gender,
            "date_of_birth" => DateOfBirth,
            "db" => Db,
            "user_id" => UserId,
            "external_id" => ExternalId,
            "userId" => UserIdCamel,
            "user_agent" => UserAgent,
            "fb_login_id" => FbLoginId,
            "subscription_id" => SubscriptionId,
            "subscriptionId" => SubscriptionIdCamel,
            "lead_id" => LeadId,
            "leadId" => LeadIdCamel,
            "anon_id" => AnonId,
            "madid" => Madid,
            _ => return None,
        })
    }

    /// The path `user_data.<key>` names.
    fn in_user_data(key: &str) -> Option<Path> {
        use Path::*;
        Some(match key {
            "sha256_email_address" => UdSha256Email,
            "email_address" => UdEmailAddress,
            "email" => UdEmail,
            "sha256_phone_number" => UdSha256Phone,
            "phone_number" => UdPhoneNumber,
            "phone" => UdPhone,
            "first_name" => UdFirstName,
            "last_name" => UdLastName,
            "region" => UdRegion,
            "postal_code" => UdPostalCode,
            "country" => UdCountry,
            "gender" => UdGender,
            "date_of_birth" => UdDateOfBirth,
            "external_id" => UdExternalId,
            "fb_login_id" => UdFbLoginId,
            "address" => UdAddress,
            _ => return None,
        })
    }
}

/// The event's values at every [`Path`], from one pass over its top-level keys and one over
/// its `user_data` object; the last of duplicate keys wins, as in [`Json::get`].
struct Found<'a> {
    /// Top-level keys (a flat `user_data.<key>` included), by `Path as usize`.
    flat: [Option<&'a Value<'a>>; PATHS],
    /// Keys of the (last) `user_data` object.
    nested: [Option<&'a Value<'a>>; PATHS],
}

impl<'a> Found<'a> {
    fn new(ev: &EventData<'a>) -> Found<'a> {
        let mut found = Found {
            flat: [None; PATHS],
            nested: [None; PATHS],
        };
        let mut user_data = None;
        for (key, value) in ev.root().as_object().unwrap_or_default() {
            let path = match key.strip_prefix("user_data") {
                Some("") => {
                    user_data = Some(value);
                    continue;
                }
                Some(rest) => rest.strip_prefix('.').and_then(Path::in_user_data),
                None => Path::top(key),
            };
            if let Some(path) = path {
                found.flat[path as usize] = Some(value);
            }
        }
        let nested = user_data.and_then(Value::as_object).unwrap_or_default();
        for (key, value) in nested {
            if let Some(path) = Path::in_user_data(key) {
                found.nested[path as usize] = Some(value);
            }
        }
        found
    }

    /// As [`EventData::get`] of the path: a flat key (even `null`) before the nested one;
    /// `null` counts as absent.
    fn get(&self, path: Path) -> Option<&'a Value<'a>> {
        let i = path as usize;
        self.flat[i].or(self.nested[i]).filter(|v| !v.is_null())
    }
}

/// Hashed keys and their sources in the event data (GA4 user-provided data first, then common
/// flat names). Address fields are read from every entry of `user_data.address`.
const SOURCES: &[(&str, &[Path], &[&str])] = {
    use Path::*;
    &[
        // (key, event paths, address fields)
        ("em", &[UdSha256Email, UdEmailAddress, UdEmail, Email], &[]),
        ("ph", &[UdSha256Phone, UdPhoneNumber, UdPhone, Phone], &[]),
        (
            "fn",
            &[
                FirstName,
                FirstNameCamel,
                FirstNamePascal,
                NameFirst,
                UdFirstName,
            ],
            &["sha256_first_name", "first_name"],
        ),
        (
            "ln",
            &[
                LastName,
                LastNameCamel,
                LastNamePascal,
                NameLast,
                UdLastName,
            ],
            &["sha256_last_name", "last_name"],
        ),
        ("ct", &[City], &["city"]),
        ("st", &[Region, State, UdRegion], &["region"]),
        ("zp", &[PostalCode, Zip, UdPostalCode], &["postal_code"]),
        ("country", &[Country, CountryCode, UdCountry], &["country"]),
        ("ge", &[UdGender, Gender], &[]),
        ("db", &[UdDateOfBirth, DateOfBirth, Db], &[]),
    ]
};

/// The site's own user id beside any explicit external ids: every one of them is sent.
const EXTERNAL_ID_SOURCES: [Path; 4] = [
    Path::UserId,
    Path::UdExternalId,
    Path::ExternalId,
    Path::UserIdCamel,
];

/// Plain (never hashed) keys and their sources: Meta's tag reads `user_data.fb_login_id`,
/// Stape's the flat names.
const PLAIN_SOURCES: &[(&str, &[Path])] = {
    use Path::*;
    &[
        ("fb_login_id", &[UdFbLoginId, FbLoginId]),
        ("subscription_id", &[SubscriptionId, SubscriptionIdCamel]),
        ("lead_id", &[LeadId, LeadIdCamel]),
        ("anon_id", &[AnonId]),
        ("madid", &[Madid]),
    ]
};

/// The values of a path's value: a scalar, or every scalar of an array (borrowed from the
/// event).
fn values_of<'a>(value: Option<&Value<'a>>) -> Vec<Value<'a>> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| scalar_text(i).is_some())
            .cloned()
            .collect(),
        Some(v) if trimmed_text(v).is_some() => vec![v.clone()],
        _ => Vec::new(),
    }
}

/// The entries of `user_data.address`: an array of them, or one object.
fn addresses<'a>(found: &Found<'a>) -> &'a [Value<'a>] {
    match found.get(Path::UdAddress) {
        Some(Value::Array(items)) => items,
        Some(obj @ Value::Object(_)) => std::slice::from_ref(obj),
        _ => &[],
    }
}

/// A raw user_data record: keys and values borrowed from the event where they come from it.
pub type Record<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

/// The raw user_data record for one event (before hashing). It borrows the event (and the
/// config); the one value the request can give (its user agent) is copied, so the record and
/// the Meta event made from it live as long as the event data.
pub fn collect<'a>(config: &'a TagConfig, ev: &EventData<'a>, req: &RequestContext) -> Record<'a> {
    let found = Found::new(ev);
    // Room for every key mapped here and the three the build sets after (client_ip_address,
    // fbc, fbp): one allocation instead of a growing vector's four.
    let room = SOURCES.len() + PLAIN_SOURCES.len() + 2 + 3;
    let mut record = Value::Object(Vec::with_capacity(room));
    // The mapped keys are pushed (each comes once: a test checks the tables); the event's
    // x-fb-ud-* keys and the config's are set over them.
    let addresses = addresses(&found);
    for (key, paths, address_fields) in SOURCES {
        let mut values: Vec<Value<'a>> = Vec::new();
        for field in *address_fields {
            values.extend(
                addresses
                    .iter()
                    .filter_map(|a| a.get(field))
                    .filter(|v| scalar_text(v).is_some())
                    .cloned(),
            );
        }
        if values.is_empty() {
            values = paths
                .iter()
                .map(|p| values_of(found.get(*p)))
                .find(|v| !v.is_empty())
                .unwrap_or_default();
        }
        if !values.is_empty() {
            record.push(*key, Value::Array(values));
        }
    }
    let external: Vec<Value<'a>> = EXTERNAL_ID_SOURCES
        .iter()
        .flat_map(|p| values_of(found.get(*p)))
        .collect();
    if !external.is_empty() {
        record.push("external_id", Value::Array(external));
    }
    let ua = match found.get(Path::UserAgent).and_then(trimmed_text) {
        Some(own) => Some(Value::str(own)),
        None => req.header("user-agent").map(Value::from),
    };
    if let Some(ua) = ua {
        record.push("client_user_agent", ua);
    }
    for (key, paths) in PLAIN_SOURCES {
        let value = paths
            .iter()
            .find_map(|p| found.get(*p).filter(|v| trimmed_text(v).is_some()));
        if let Some(v) = value {
            record.push(*key, v.clone());
        }
    }
    for (key, v) in ev.with_prefix("x-fb-ud-") {
        // Meta's tag names one key with hyphens (`x-fb-ud-fb-login-id`); Meta's keys have none.
        if key.contains('-') {
            record.set(key.replace('-', "_"), v.clone());
        } else {
            record.set(key, v.clone());
        }
    }
    for (key, v) in &config.user_data {
        if !v.is_null() {
            record.set(key.clone(), v.clone());
        }
    }
    match record {
        Value::Object(pairs) => pairs,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Json};

    fn run(config: &TagConfig, event: &str) -> String {
        let v = parse(event).expect("event");
        let req = RequestContext::default();
        Value::Object(collect(config, &EventData::new(&v), &req)).to_json()
    }

    #[test]
    fn every_mapped_key_comes_once() {
        // `collect` pushes these without looking for an earlier one.
        let mut keys: Vec<&str> = SOURCES.iter().map(|(k, _, _)| *k).collect();
        keys.extend(PLAIN_SOURCES.iter().map(|(k, _)| *k));
        keys.extend(["external_id", "client_user_agent"]);
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "{keys:?}");
    }

    #[test]
    fn ga4_user_provided_data_and_addresses() {
        let out = run(
            &TagConfig::default(),
            r#"{"user_id": "u1", "user_agent": "UA",
            "user_data": {"email_address": "a@b.co", "sha256_phone_number": "AB", "address": [
              {"first_name": "Ann", "city": "Paris", "country": "FR"}, {"first_name": "Anna", "postal_code": 75001}]}}"#,
        );
        assert_eq!(
            out,
            r#"{"em":["a@b.co"],"ph":["AB"],"fn":["Ann","Anna"],"ct":["Paris"],"zp":[75001],"country":["FR"],"external_id":["u1"],"client_user_agent":"UA"}"#
        );
    }

    /// Every path with the dotted name `EventData::get` reads it by.
    const NAMES: [(Path, &str); PATHS] = {
        use Path::*;
        [
            (Email, "email"),
            (Phone, "phone"),
            (FirstName, "first_name"),
            (FirstNameCamel, "firstName"),
            (FirstNamePascal, "FirstName"),
            (NameFirst, "nameFirst"),
            (LastName, "last_name"),
            (LastNameCamel, "lastName"),
            (LastNamePascal, "LastName"),
            (NameLast, "nameLast"),
            (City, "city"),
            (Region, "region"),
            (State, "state"),
            (PostalCode, "postal_code"),
            (Zip, "zip"),
            (Country, "country"),
            (CountryCode, "countryCode"),
            (Gender, "gender"),
            (DateOfBirth, "date_of_birth"),
            (Db, "db"),
            (UserId, "user_id"),
            (ExternalId, "external_id"),
            (UserIdCamel, "userId"),
            (UserAgent, "user_agent"),
            (FbLoginId, "fb_login_id"),
            (SubscriptionId, "subscription_id"),
            (SubscriptionIdCamel, "subscriptionId"),
            (LeadId, "lead_id"),
            (LeadIdCamel, "leadId"),
            (AnonId, "anon_id"),
            (Madid, "madid"),
            (UdSha256Email, "user_data.sha256_email_address"),
            (UdEmailAddress, "user_data.email_address"),
            (UdEmail, "user_data.email"),
            (UdSha256Phone, "user_data.sha256_phone_number"),
            (UdPhoneNumber, "user_data.phone_number"),
            (UdPhone, "user_data.phone"),
            (UdFirstName, "user_data.first_name"),
            (UdLastName, "user_data.last_name"),
            (UdRegion, "user_data.region"),
            (UdPostalCode, "user_data.postal_code"),
            (UdCountry, "user_data.country"),
            (UdGender, "user_data.gender"),
            (UdDateOfBirth, "user_data.date_of_birth"),
            (UdExternalId, "user_data.external_id"),
            (UdFbLoginId, "user_data.fb_login_id"),
            (UdAddress, "user_data.address"),
        ]
    };

    #[test]
    fn paths_are_numbered_in_order_and_named_once() {
        for (i, (path, name)) in NAMES.iter().enumerate() {
            assert_eq!(*path as usize, i, "{name}");
            let parsed = match name.strip_prefix("user_data.") {
                Some(child) => Path::in_user_data(child),
                None => Path::top(name),
            };
            assert_eq!(parsed, Some(*path), "{name}");
        }
    }

    /// The one-pass lookup reads every path as `EventData::get` does: duplicates (the last
    /// wins), a flat `user_data.<key>` before the nested key (even when null), null as absent,
    /// a `user_data` that is not an object, an event that is not an object.
    #[test]
    fn one_pass_lookup_agrees_with_event_data_get() {
        let events = [
            r#"{"email": "a", "email": "b", "user_data": {"email": "c", "email": "d", "phone": null},
                "user_data.phone": "p", "user_data.email": null, "city": null, "userId": 7,
                "user_data.address": {"city": "X"}, "madid": ["m"], "user_dataX": 1}"#,
            r#"{"user_data": {"email_address": "e"}, "user_data": {"phone_number": "1"},
                "user_data.address.city": "no", "FirstName": " F ", "user_agent": ""}"#,
            r#"{"user_data": "text", "user_data.gender": "f", "db": {"x": 1}}"#,
            r#"{"user_data": {"address": [{"city": "a"}], "external_id": ["1", 2, null]}, "user_data": null}"#,
            r#"[1, 2]"#,
            r#"{}"#,
        ];
        for text in events {
            let v = parse(text).expect("event");
            let ev = EventData::new(&v);
            let found = Found::new(&ev);
            for (path, name) in NAMES {
                assert_eq!(found.get(path), ev.get(name), "{name} in {text}");
            }
        }
    }

    #[test]
    fn duplicates_and_flat_dotted_keys_read_as_before() {
        let out = run(
            &TagConfig::default(),
            r#"{"email": "old", "email": "new", "user_data.email_address": " flat ",
            "user_data": {"email_address": "nested", "phone": ["1", {"x": 2}, 3], "fb_login_id": " "},
            "fb_login_id": 42, "user_id": ["u", null], "userId": "U", "user_agent": "  "}"#,
        );
        assert_eq!(
            out,
            r#"{"em":[" flat "],"ph":["1",3],"external_id":["u","U"],"fb_login_id":42}"#
        );
    }

    #[test]
    fn x_fb_ud_beats_mapping_and_config_beats_both() {
        let config = TagConfig {
            user_data: vec![("ph".into(), Json::from("+1 650 555 1212"))],
            ..TagConfig::default()
        };
        let out = run(
            &config,
            r#"{"email": "x@y.co", "x-fb-ud-em": "z@y.co", "x-fb-ud-ph": "1", "address": {"city": "ignored"}}"#,
        );
        assert_eq!(out, r#"{"em":"z@y.co","ph":"+1 650 555 1212"}"#);
    }
}
