//! Enrichment: what identity resolution returned, added to the built Meta server event.
//! - the resolved uuid becomes one more `external_id` (hashed like any external_id, beside the
//!   event's own `user_id`);
//! - `em`, `ph` and `fbc` the event lacks come from the newest journal entries with a usable
//!   value (`identity.fillFromJournal` says which); an fbc keeps the journaled click's time.
//!
//! What the event carries always wins: a key the event has is never touched (the event's own
//! click, for one, is fresher than any journaled one). Values are normalized and hashed here by
//! the same normalizer as the rest of the payload, so they are valid by construction; with
//! `sendPii` off only `fbc` (not hashed PII) may be added. Planned before validation (which
//! counts the matching keys it will add), applied after.
use crate::identity::{FillField, JournalEntry, Resolution};
use crate::json::{Json, Value};
use crate::logging::parse_iso_ms;
use crate::normalize::{normalize_and_hash, Context, Field};
use crate::payload::fbc_from_click;

#[cfg(test)]
mod tests;

/// What enrichment will add: `user_data` keys and their values (a hash, or the fbc text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enrichment {
    additions: Vec<(&'static str, String)>,
}

/// What planning needs besides the resolution and the event.
pub struct Settings<'a> {
    pub fill: &'a [FillField],
    pub send_pii: bool,
    pub ctx: Context,
    /// The fbc time of a journaled click whose entry has no readable `created_at`.
    pub now_ms: u64,
}

impl Enrichment {
    pub fn plan(resolution: &Resolution, event: &Value<'_>, settings: &Settings) -> Enrichment {
        let user_data = event.get("user_data");
        let has = |key: &str| user_data.and_then(|u| u.get(key)).is_some_and(present);
        let mut additions = Vec::new();
        let uuid_hash = resolution
            .uuid
            .as_deref()
            .and_then(|uuid| hash(Field::ExternalId, uuid, settings.ctx));
        if let Some(h) = uuid_hash.filter(|_| settings.send_pii) {
            let ids = user_data.and_then(|u| u.get("external_id"));
            if !listed(ids, &h) {
                additions.push(("external_id", h));
            }
        }
        for field in FillField::ALL {
            let key = match field {
                FillField::Email => "em",
                FillField::Phone => "ph",
                FillField::Fbclid => "fbc",
            };
            let wanted = settings.fill.contains(&field)
                && !has(key)
                && (settings.send_pii || field == FillField::Fbclid);
            if !wanted {
                continue;
            }
            let page = event.get("event_source_url").and_then(Value::as_str);
            let value = resolution.journal.iter().find_map(|entry| {
                let raw = entry.field(field)?;
                match field {
                    FillField::Email => hash(Field::Email, raw, settings.ctx),
                    FillField::Phone => hash(Field::Phone, raw, settings.ctx),
                    FillField::Fbclid => {
                        fbc_from_click(page, raw, click_ms(entry, settings.now_ms))
                    }
                }
            });
            if let Some(value) = value {
                additions.push((key, value));
            }
        }
        Enrichment { additions }
    }

    /// The `user_data` keys it adds.
    pub fn keys(&self) -> Vec<&'static str> {
        self.additions.iter().map(|(k, _)| *k).collect()
    }

    /// Add to `event.user_data` (created when missing); returns the keys filled.
    pub fn apply(self, event: &mut Value<'_>) -> Vec<&'static str> {
        let keys = self.keys();
        if self.additions.is_empty() || event.as_object().is_none() {
            return Vec::new();
        }
        let mut user_data = match event.get("user_data") {
            Some(u @ Value::Object(_)) => u.clone(),
            _ => Value::Object(Vec::new()),
        };
        for (key, value) in self.additions {
            let value = Json::from(value);
            let merged = match (key, user_data.get(key)) {
                ("fbc", _) => value,
                (_, Some(Value::Array(items))) => {
                    let mut items = items.clone();
                    items.push(value);
                    Value::Array(items)
                }
                (_, Some(one)) if present(one) => Value::Array(vec![one.clone(), value]),
                _ => Value::Array(vec![value]),
            };
            user_data.set(key, merged);
        }
        event.set("user_data", user_data);
        keys
    }
}

fn hash(field: Field, raw: &str, ctx: Context) -> Option<String> {
    normalize_and_hash(field, raw, ctx).ok().map(|h| h.hash)
}

/// A value that counts: not null, not "" and not an empty list.
fn present(v: &Value<'_>) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(present),
        _ => true,
    }
}

fn listed(ids: Option<&Value<'_>>, hash: &str) -> bool {
    match ids {
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(hash)),
        Some(one) => one.as_str() == Some(hash),
        None => false,
    }
}

/// When the journaled click happened: its entry's `created_at`, never after now.
fn click_ms(entry: &JournalEntry, now_ms: u64) -> u64 {
    entry
        .created_at
        .as_deref()
        .and_then(parse_iso_ms)
        .map_or(now_ms, |t| t.min(now_ms))
}
