use super::*;
use crate::hash::sha256_hex;
use crate::json::parse;

const NOW: u64 = 1_795_875_760_000;
const CTX: Context = Context { current_year: 2026 };

fn j(text: &str) -> Json {
    parse(text).expect("test JSON parses")
}

fn entry(
    email: Option<&str>,
    phone: Option<&str>,
    fbclid: Option<&str>,
    at: Option<&str>,
) -> JournalEntry {
    JournalEntry {
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        fbclid: fbclid.map(Into::into),
        created_at: at.map(Into::into),
        ..JournalEntry::default()
    }
}

/// Newest first: a phone only, then an email and a click, then everything older.
fn resolution() -> Resolution {
    Resolution {
        status: "resolved",
        uuid: Some("U-1".into()),
        journal: vec![
            entry(None, Some("+1 (650) 555-1212"), None, None),
            entry(
                Some(" New@X.co "),
                None,
                Some("FBNEW"),
                Some("2026-11-20T10:00:00.000Z"),
            ),
            entry(Some("old@x.co"), Some("+1 000"), Some("FBOLD"), None),
        ],
        ..Resolution::default()
    }
}

fn h(text: &str) -> String {
    sha256_hex(text.as_bytes())
}

fn run(
    resolution: &Resolution,
    event: &str,
    fill: &[FillField],
    send_pii: bool,
) -> (String, Vec<&'static str>) {
    let mut event = j(event);
    let settings = Settings {
        fill,
        send_pii,
        ctx: CTX,
        now_ms: NOW,
    };
    let plan = Enrichment::plan(resolution, &event, &settings);
    let keys = plan.keys();
    let filled = plan.apply(&mut event);
    assert_eq!(keys, filled, "apply fills what the plan announced");
    (
        event
            .get("user_data")
            .map(Json::to_json)
            .unwrap_or_default(),
        filled,
    )
}

#[test]
fn fills_what_the_event_lacks_from_the_newest_usable_entries() {
    let (user_data, filled) = run(
        &resolution(),
        r#"{"event_source_url": "https://www.shop.co.uk/p", "user_data": {"external_id": ["site"], "client_user_agent": "UA"}}"#,
        &FillField::ALL,
        true,
    );
    assert_eq!(filled, vec!["external_id", "em", "ph", "fbc"]);
    let want = format!(
        r#"{{"external_id":["site","{}"],"client_user_agent":"UA","em":["{}"],"ph":["{}"],"fbc":"fb.2.1795168800000.FBNEW"}}"#,
        h("u-1"),
        h("new@x.co"),
        h("16505551212")
    );
    assert_eq!(
        user_data, want,
        "uuid hashed like an external_id; the click keeps its journaled time"
    );
}

#[test]
fn the_event_wins_and_nothing_is_duplicated() {
    let uuid_hash = h("u-1");
    let event = format!(
        r#"{{"user_data": {{"external_id": "{uuid_hash}", "em": ["mine"], "ph": [], "fbc": "fb.1.1.MINE"}}}}"#
    );
    let (user_data, filled) = run(&resolution(), &event, &FillField::ALL, true);
    assert_eq!(filled, vec!["ph"], "an empty list counts as absent");
    assert!(user_data.contains(r#""em":["mine"]"#) && user_data.contains("fb.1.1.MINE"));
    // A single external_id string becomes a list when the uuid joins it.
    let (user_data, _) = run(
        &resolution(),
        r#"{"user_data": {"external_id": "x"}}"#,
        &[],
        true,
    );
    assert_eq!(
        user_data,
        format!(r#"{{"external_id":["x","{uuid_hash}"]}}"#)
    );
}

#[test]
fn settings_limit_what_is_filled() {
    let (_, filled) = run(&resolution(), "{}", &[FillField::Phone], true);
    assert_eq!(filled, vec!["external_id", "ph"]);
    let (user_data, filled) = run(&resolution(), "{}", &FillField::ALL, false);
    assert_eq!(
        filled,
        vec!["fbc"],
        "sendPii off: no hashed identifier is added"
    );
    assert_eq!(user_data, r#"{"fbc":"fb.1.1795168800000.FBNEW"}"#);
}

#[test]
fn unusable_journal_values_fall_back_to_older_entries() {
    let r = Resolution {
        uuid: None,
        journal: vec![
            entry(
                Some("not-an-email"),
                Some("phone?"),
                Some("has.dot"),
                Some("2999-01-01T00:00:00Z"),
            ),
            entry(
                Some("ok@x.co"),
                None,
                Some("GOOD"),
                Some("2999-01-01T00:00:00Z"),
            ),
        ],
        ..Resolution::default()
    };
    let (user_data, filled) = run(&r, "{}", &FillField::ALL, true);
    assert_eq!(filled, vec!["em", "fbc"]);
    assert_eq!(
        user_data,
        format!(r#"{{"em":["{}"],"fbc":"fb.1.{NOW}.GOOD"}}"#, h("ok@x.co")),
        "a click dated in the future gets now"
    );
}

#[test]
fn nothing_resolved_adds_nothing() {
    let (user_data, filled) = run(
        &Resolution::default(),
        r#"{"user_data": {"em": ["x"]}}"#,
        &FillField::ALL,
        true,
    );
    assert_eq!((user_data.as_str(), filled), (r#"{"em":["x"]}"#, vec![]));
    let mut not_object = Value::Null;
    let settings = Settings {
        fill: &FillField::ALL,
        send_pii: true,
        ctx: CTX,
        now_ms: NOW,
    };
    let filled = Enrichment::plan(&resolution(), &not_object, &settings).apply(&mut not_object);
    assert_eq!((not_object, filled), (Value::Null, vec![]));
}
