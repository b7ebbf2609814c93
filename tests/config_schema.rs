//! The published config schema (`schema/tag-config.schema.json`) against the Rust reader
//! (`crates/core/src/pipeline/config.rs`): the same keys at every level, and the same defaults.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use omni_meta_capi::config::{parse_config, TagConfig};
use omni_meta_capi::json::{parse, Json, Key};
use omni_meta_capi::report::Report;

/// (schema `$defs` name, config key, keys that make the reader read the object's other keys)
type NestedCase = (&'static str, &'static str, Vec<(Key, Json)>);

const SCHEMA_TEXT: &str = include_str!("../schema/tag-config.schema.json");
const CONFIG_SOURCE: &str = include_str!("../crates/core/src/pipeline/config.rs");

fn schema() -> Json {
    parse(SCHEMA_TEXT).expect("schema/tag-config.schema.json is valid JSON")
}

/// `properties` of a schema object, in order.
fn properties(node: &Json) -> Vec<(Key, Json)> {
    node.get("properties")
        .and_then(Json::as_object)
        .expect("schema object has properties")
        .to_vec()
}

fn def(schema: &Json, name: &str) -> Json {
    schema
        .get("$defs")
        .and_then(|d| d.get(name))
        .unwrap_or_else(|| panic!("schema has $defs/{name}"))
        .clone()
}

fn names(props: &[(Key, Json)]) -> BTreeSet<String> {
    props.iter().map(|(k, _)| k.to_string()).collect()
}

fn unknown_key_fields(report: &Report) -> Vec<&str> {
    report
        .warnings
        .iter()
        .filter(|w| w.code == "config.unknown_key")
        .map(|w| w.field.as_str())
        .collect()
}

fn obj(pairs: Vec<(Key, Json)>) -> Json {
    Json::Object(pairs)
}

fn s(text: &str) -> Json {
    Json::from(text)
}

fn with(base: &Json, key: &str, value: Json) -> Json {
    let mut out = base.clone();
    out.set(key.to_string(), value);
    out
}

/// A config that is valid with nothing else set.
fn minimal() -> Json {
    obj(vec![
        ("pixelId".into(), s("1")),
        ("accessToken".into(), s("t")),
    ])
}

/// Every top-level schema property with a harmless value: its schema default, else `null`
/// (absent to the reader), and a valid pixel and token.
fn every_property(schema: &Json) -> Json {
    let mut config = obj(Vec::new());
    for (key, prop) in properties(schema) {
        let value = match &*key {
            "pixelId" => s("1"),
            "accessToken" => s("t"),
            _ => prop.get("default").cloned().unwrap_or(Json::Null),
        };
        config.set(key.clone(), value);
    }
    config
}

/// The string literals of `const KNOWN_KEYS: &[&str] = &[ ... ];` in crates/core/src/pipeline/config.rs.
fn known_keys_in_source() -> BTreeSet<String> {
    let start = CONFIG_SOURCE.find("const KNOWN_KEYS").expect(
        "crates/core/src/pipeline/config.rs declares KNOWN_KEYS (update this test if it moved)",
    );
    let rest = &CONFIG_SOURCE[start..];
    let open = rest.find("= &[").expect("KNOWN_KEYS is a slice literal") + 4;
    let close = rest.find("];").expect("KNOWN_KEYS literal ends with `];`");
    rest[open..close]
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.strip_prefix('"')
                .and_then(|i| i.strip_suffix('"'))
                .unwrap_or_else(|| panic!("KNOWN_KEYS item {item:?} is not a plain string"))
                .to_string()
        })
        .collect()
}

#[test]
fn schema_header() {
    let schema = schema();
    assert_eq!(
        schema.get("$schema").and_then(Json::as_str),
        Some("https://json-schema.org/draft/2020-12/schema")
    );
    assert_eq!(
        schema.get("$id").and_then(Json::as_str),
        Some("https://omni-meta-capi.dev/schema/tag-config.json")
    );
    assert_eq!(
        schema.get("required"),
        Some(&Json::Array(vec![s("pixelId")]))
    );
    // Unknown keys are warnings, not errors: the schema must not reject them.
    assert_eq!(schema.get("additionalProperties"), Some(&Json::Bool(true)));
}

#[test]
fn every_property_is_described() {
    let schema = schema();
    let mut objects = vec![("".to_string(), schema.clone())];
    for name in [
        "pixelEntry",
        "productSchema",
        "ldu",
        "consent",
        "eventEnhancement",
        "cookies",
        "originalEventData",
    ] {
        objects.push((format!("$defs/{name}/"), def(&schema, name)));
    }
    for (prefix, node) in objects {
        for (key, prop) in properties(&node) {
            let description = prop.get("description").and_then(Json::as_str);
            assert!(
                description.is_some_and(|d| d.len() > 20),
                "{prefix}{key} has no description"
            );
        }
    }
}

#[test]
fn top_level_keys_equal_the_keys_the_reader_knows() {
    let schema = schema();
    let schema_keys = names(&properties(&schema));

    // Every schema property is known to the reader: no unknown-key warning, and the harmless
    // values (the schema's own defaults) are accepted.
    let config = every_property(&schema);
    let (_, report) = parse_config(&config);
    assert_eq!(
        unknown_key_fields(&report),
        Vec::<&str>::new(),
        "schema properties the reader does not know"
    );
    assert!(
        report.is_valid(),
        "schema defaults rejected: {:?}",
        report.errors
    );

    // The check above can fail: one extra key gives exactly one warning.
    let (_, report) = parse_config(&with(&config, "zzz", Json::Bool(true)));
    assert_eq!(unknown_key_fields(&report), vec!["zzz"]);

    // And every key the reader knows is in the schema (KNOWN_KEYS is private: read the source,
    // and confirm each extracted name through the reader, so the extraction cannot drift).
    let known = known_keys_in_source();
    for key in &known {
        let (_, report) = parse_config(&with(&minimal(), key, Json::Null));
        assert_eq!(
            unknown_key_fields(&report),
            Vec::<&str>::new(),
            "{key} extracted from KNOWN_KEYS is not known to parse_config"
        );
    }
    assert_eq!(
        schema_keys, known,
        "schema properties differ from crates/core/src/pipeline/config.rs KNOWN_KEYS"
    );
}

#[test]
fn nested_keys_are_known_to_the_reader() {
    let schema = schema();
    let cases: [NestedCase; 7] = [
        ("pixelEntry", "pixelId", vec![]),
        (
            "productSchema",
            "productSchema",
            vec![("type".into(), s("custom"))],
        ),
        ("ldu", "ldu", vec![("enabled".into(), Json::Bool(true))]),
        ("consent", "consent", vec![]),
        ("eventEnhancement", "eventEnhancement", vec![]),
        ("cookies", "cookies", vec![]),
        ("originalEventData", "originalEventData", vec![]),
    ];
    for (def_name, key, base) in cases {
        let mut inner = obj(base);
        for (k, _) in properties(&def(&schema, def_name)) {
            if inner.get(&k).is_none() {
                inner.set(k.clone(), if k == "pixelId" { s("1") } else { Json::Null });
            }
        }
        let place = |inner: Json| {
            if def_name == "pixelEntry" {
                with(&minimal(), key, Json::Array(vec![inner]))
            } else {
                with(&minimal(), key, inner)
            }
        };
        let (_, report) = parse_config(&place(inner.clone()));
        assert_eq!(
            unknown_key_fields(&report),
            Vec::<&str>::new(),
            "$defs/{def_name} has keys the reader does not know"
        );
        assert!(report.is_valid(), "{def_name}: {:?}", report.errors);
        let (_, report) = parse_config(&place(with(&inner, "zzz", Json::Null)));
        let expected = if def_name == "pixelEntry" {
            "pixelId[0].zzz".to_string()
        } else {
            format!("{key}.zzz")
        };
        assert_eq!(unknown_key_fields(&report), vec![expected.as_str()]);
    }
}

#[test]
fn stated_defaults_match_tag_config_default() {
    let schema = schema();
    let default_of = |key: &str| {
        properties(&schema)
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, p)| p.get("default").cloned())
            .unwrap_or_else(|| panic!("schema states a default for {key}"))
    };
    let text = |key: &str| {
        default_of(key)
            .as_str()
            .unwrap_or_else(|| panic!("default of {key} is a string"))
            .to_string()
    };
    let d = TagConfig::default();
    assert_eq!(text("graphApiVersion"), d.graph_api_version);
    assert_eq!(text("graphBaseUrl"), d.graph_base_url);
    assert_eq!(text("actionSource"), d.action_source);
    let days = match default_of("cookieMaxAgeDays") {
        Json::Number(n) => n
            .parse::<u32>()
            .expect("cookieMaxAgeDays default is an integer"),
        other => panic!("cookieMaxAgeDays default is a number, got {other:?}"),
    };
    assert_eq!(days, d.cookie_max_age_days);

    // The same four through the reader: an unset key and the stated default read the same.
    let (unset, _) = parse_config(&minimal());
    for key in [
        "graphApiVersion",
        "graphBaseUrl",
        "actionSource",
        "cookieMaxAgeDays",
    ] {
        let (set, report) = parse_config(&with(&minimal(), key, default_of(key)));
        assert!(report.is_valid(), "{key}: {:?}", report.errors);
        assert_eq!(set, unset, "{key}: the stated default is not the reader's");
    }
}

#[test]
fn every_stated_default_is_the_readers_default() {
    let schema = schema();
    let (unset, _) = parse_config(&minimal());
    let mut checked = 0;
    for (key, prop) in properties(&schema) {
        let Some(default) = prop.get("default") else {
            continue;
        };
        let (set, report) = parse_config(&with(&minimal(), &key, default.clone()));
        assert!(report.is_valid(), "{key}: {:?}", report.errors);
        assert!(report.warnings.is_empty(), "{key}: {:?}", report.warnings);
        assert_eq!(set, unset, "{key}: the stated default is not the reader's");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} top-level defaults stated");

    // Nested defaults, each within an object that makes the reader read the key.
    let nested: [NestedCase; 3] = [
        (
            "productSchema",
            "productSchema",
            vec![("type".into(), s("custom"))],
        ),
        ("ldu", "ldu", vec![("enabled".into(), Json::Bool(true))]),
        (
            "consent",
            "consent",
            vec![("requireAdStorage".into(), Json::Bool(true))],
        ),
    ];
    for (def_name, key, base) in nested {
        let base = obj(base);
        for (k, prop) in properties(&def(&schema, def_name)) {
            let Some(default) = prop.get("default") else {
                continue;
            };
            // The key that switches reading on is itself checked within an empty object.
            let base = if base.get(&k).is_some() {
                obj(Vec::new())
            } else {
                base.clone()
            };
            let (unset, _) = parse_config(&with(&minimal(), key, base.clone()));
            let inner = with(&base, &k, default.clone());
            let (set, report) = parse_config(&with(&minimal(), key, inner));
            assert!(report.is_valid(), "{key}.{k}: {:?}", report.errors);
            assert_eq!(
                set, unset,
                "{key}.{k}: the stated default is not the reader's"
            );
        }
    }
}
