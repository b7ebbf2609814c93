//! `app_data` for app events (`action_source: "app"`), as Meta's app-data parameters describe
//! it. Sources, later ones winning: a default (tracking flags 0, an `extinfo` built from what
//! the GA4 app stream carries), the event's flat keys (Stape's names), `x-fb-ad-<key>`, the
//! event's `app_data` object, `x-fb-sed-app_data`, then the config's `appData`.
use crate::event_data::EventData;
use crate::json::{Json, Value};
use crate::model::config::TagConfig;
use crate::report::Report;
use crate::user_data::scalar_text;

/// `extinfo` has 16 positions: 0 version (`a2` Android, `i2` iOS), 1 package name, 2 short
/// version, 3 long version, 4 OS version, 5 device model, 6 locale, 7 timezone abbreviation,
/// 8 carrier, 9-11 screen width/height/density, 12 CPU cores, 13-14 disk sizes, 15 timezone.
pub const EXTINFO_LEN: usize = 16;

/// Flat event keys Stape reads into `app_data`.
const FLAT_KEYS: [&str; 9] = [
    "advertiser_tracking_enabled",
    "application_tracking_enabled",
    "extinfo",
    "campaign_ids",
    "install_referrer",
    "installer_package",
    "url_schemes",
    "vendor_id",
    "windows_attribution_id",
];

/// `1`/`0` for a tracking flag given as a boolean, number or text; `None` when unreadable.
pub fn flag(v: &Json) -> Option<u8> {
    match v {
        Value::Bool(b) => Some(u8::from(*b)),
        other => match scalar_text(other)?.trim() {
            "1" | "true" => Some(1),
            "0" | "false" => Some(0),
            _ => None,
        },
    }
}

/// The default `extinfo` from a GA4 app stream's keys (`x-ga-platform`, `app_id`,
/// `app_version`, `x-ga-os_version`, `x-ga-device_model`, `language`), blanks elsewhere.
fn default_extinfo(ev: &EventData) -> Json {
    let mut info = vec![String::new(); EXTINFO_LEN];
    info[0] = match ev.text("x-ga-platform").map(|p| p.to_ascii_lowercase()) {
        Some(p) if p == "android" => "a2".into(),
        Some(p) if p == "ios" => "i2".into(),
        _ => String::new(),
    };
    let text = |k: &str| ev.text(k).unwrap_or_default();
    info[1] = text("app_id");
    info[2] = text("app_version");
    if !info[2].is_empty() {
        info[3] = format!("Version {}", info[2]);
    }
    info[4] = text("x-ga-os_version");
    info[5] = text("x-ga-device_model");
    info[6] = text("language");
    Value::Array(info.into_iter().map(Json::from).collect())
}

/// The app_data object for an app event; `None` for other action sources (an event-level
/// `app_data` on them is reported: Meta reads it only for app events).
pub fn build(
    config: &TagConfig,
    ev: &EventData,
    action_source: &str,
    report: &mut Report,
) -> Option<Json> {
    let own = ev
        .prefixed("x-fb-sed-", "app_data")
        .or_else(|| ev.root().get("app_data").filter(|v| !v.is_null()));
    if action_source != "app" {
        if own.is_some() {
            report.warn(
                "app_data.not_an_app_event",
                "app_data",
                "app_data is only sent with action_source \"app\": ignored",
            );
        }
        return None;
    }
    let mut app = Json::object([
        ("advertiser_tracking_enabled", Json::from(0u64)),
        ("application_tracking_enabled", Json::from(0u64)),
        ("extinfo", default_extinfo(ev)),
    ]);
    for key in FLAT_KEYS {
        if let Some(v) = ev.root().get(key).filter(|v| !v.is_null()) {
            app.set(key, v.to_owned_json());
        }
    }
    for (key, v) in ev.with_prefix("x-fb-ad-") {
        app.set(key.to_string(), v.to_owned_json());
    }
    let objects = [
        ev.root().get("app_data"),
        ev.prefixed("x-fb-sed-", "app_data"),
    ];
    for obj in objects.into_iter().flatten() {
        match obj.as_object() {
            Some(pairs) => pairs
                .iter()
                .filter(|(_, v)| !v.is_null())
                .for_each(|(k, v)| app.set(k.to_string(), v.to_owned_json())),
            None if obj.is_null() => {}
            None => report.warn(
                "app_data.not_an_object",
                "app_data",
                "app_data must be an object: ignored",
            ),
        }
    }
    for (k, v) in &config.app_data {
        if !v.is_null() {
            app.set(k.clone(), v.clone());
        }
    }
    // The tracking flags as Meta wants them: 0 or 1.
    for key in [
        "advertiser_tracking_enabled",
        "application_tracking_enabled",
    ] {
        if let Some(f) = app.get(key).and_then(flag) {
            app.set(key, Json::from(u64::from(f)));
        }
    }
    Some(app)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run(config: &TagConfig, event: &str, source: &str) -> (Option<Json>, Report) {
        let v = parse(event).expect("event");
        let mut r = Report::default();
        (build(config, &EventData::new(&v), source, &mut r), r)
    }

    #[test]
    fn default_extinfo_from_the_ga4_app_stream() {
        let (app, _) = run(
            &TagConfig::default(),
            r#"{"x-ga-platform": "Android", "app_id": "com.shop", "app_version": "2.1",
                "x-ga-os_version": "14", "x-ga-device_model": "Pixel 8", "language": "en-us",
                "advertiser_tracking_enabled": true}"#,
            "app",
        );
        assert_eq!(
            app.map(|a| a.to_json()).as_deref(),
            Some(
                r#"{"advertiser_tracking_enabled":1,"application_tracking_enabled":0,"extinfo":["a2","com.shop","2.1","Version 2.1","14","Pixel 8","en-us","","","","","","","","",""]}"#
            )
        );
    }

    #[test]
    fn event_object_then_config_win_and_other_sources_get_none() {
        let config = TagConfig {
            app_data: vec![("vendor_id".into(), Json::from("cfg"))],
            ..TagConfig::default()
        };
        let (app, _) = run(
            &config,
            r#"{"app_data": {"application_tracking_enabled": "1", "vendor_id": "ev", "campaign_ids": "c"}}"#,
            "app",
        );
        let app = app.expect("app_data");
        assert_eq!(app.get("vendor_id").and_then(Value::as_str), Some("cfg"));
        assert_eq!(app.get("campaign_ids").and_then(Value::as_str), Some("c"));
        assert_eq!(
            app.get("application_tracking_enabled"),
            Some(&Json::from(1u64))
        );
        let (app, r) = run(&config, r#"{"app_data": {"vendor_id": "x"}}"#, "website");
        assert!(app.is_none() && r.has("app_data.not_an_app_event"));
    }
}
