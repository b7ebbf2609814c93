//! `custom_data`: value and currency, order id, the product array per the product schema
//! (`contents`, `content_ids`, `num_items`, `content_type`), the other standard parameters, and
//! any `x-fb-cd-<key>` from the event. Config `customData` overrides win.
use super::currencies::is_iso4217;
use crate::event_data::EventData;
use crate::json::{self, Json, Key, Value};
use crate::model::config::TagConfig;
use crate::report::Report;
use crate::user_data::scalar_text;

/// Items one event may carry in `contents`: an order, however large, stays far below it, and the
/// bound keeps one event's work and memory bounded (past it the event is invalid, with an error).
pub const MAX_CONTENTS: usize = 10_000;

const DELIVERY_CATEGORIES: [&str; 3] = ["in_store", "curbside", "home_delivery"];
const CONTENT_TYPES: [&str; 2] = ["product", "product_group"];

/// A JSON number from a number or numeric text ("129.90"); the text is kept as written.
pub fn number<'a>(v: &Value<'a>) -> Option<Value<'a>> {
    match v {
        Value::Number(_) => Some(v.clone()),
        Value::String(s) => match json::parse(s.trim()) {
            Ok(n @ Value::Number(_)) => Some(n),
            _ => None,
        },
        _ => None,
    }
}

/// A non-negative integer from a number or text ("2", 2, 2.0).
fn count(v: &Value<'_>) -> Option<u64> {
    crate::number::count(scalar_text(v)?)
}

/// `custom_data`, borrowing the event's texts (ids, titles, numbers as written).
pub fn build<'a>(config: &'a TagConfig, ev: &EventData<'a>, report: &mut Report) -> Value<'a> {
    // The standard fields are pushed once each (value and currency are set: the event's own
    // keys may be read twice); custom properties and overrides are set over them.
    let mut cd = Value::Object(Vec::with_capacity(8));
    let cd_value = |key: &str| ev.prefixed("x-fb-cd-", key);
    let pick = |key: &str, event_keys: &[&str]| {
        cd_value(key).or_else(|| event_keys.iter().find_map(|k| ev.get(k)))
    };

    // `x-ga-mp1-ev` / `x-ga-mp1-tr`: a Universal Analytics event value / revenue (Stape).
    if let Some(v) = pick("value", &["value", "x-ga-mp1-ev", "x-ga-mp1-tr"]) {
        set_number(&mut cd, "value", v, report);
    }
    let items = products(config, ev, report);
    let first_item_currency = items.first().and_then(|i| i.currency).map(str::to_string);
    let currency = pick("currency", &["currency"])
        .and_then(scalar_text)
        .map(str::to_string)
        .or(first_item_currency);
    if let Some(c) = currency {
        set_currency(&mut cd, &c, report);
    }
    if let Some(id) = pick("order_id", &["transaction_id"]).and_then(scalar_text) {
        cd.push("order_id", Value::str(id.trim()));
    }
    if !items.is_empty() {
        let ids: Vec<Value<'a>> = items.iter().map(|i| Value::str(i.id)).collect();
        cd.push("content_ids", Value::Array(ids));
        let num_items = items.iter().fold(0u64, |n, i| n.saturating_add(i.quantity));
        cd.push(
            "contents",
            Value::Array(items.into_iter().map(Product::into_json).collect()),
        );
        // Stape: `x-fb-cd-content_type`, else `content_type`, else product.
        let content_type = pick("content_type", &["content_type"])
            .and_then(scalar_text)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("product");
        cd.push("content_type", Value::str(content_type));
        cd.push(
            "num_items",
            // Quantities come from the event: a sum that would overflow stays at the maximum.
            Value::from(num_items),
        );
    }
    let text_params: [(&str, &[&str]); 5] = [
        ("content_name", &["content_name"]),
        ("content_category", &["content_category"]),
        ("search_string", &["search_term", "search_string"]),
        ("status", &["status"]),
        ("delivery_category", &["delivery_category"]),
    ];
    for (key, event_keys) in text_params {
        if let Some(text) = pick(key, event_keys).and_then(scalar_text) {
            cd.push(key, Value::str(text.trim()));
        }
    }
    if let Some(v) = pick("predicted_ltv", &["predicted_ltv"]) {
        set_number(&mut cd, "predicted_ltv", v, report);
    }
    custom_properties(&mut cd, ev, report);
    // Any other x-fb-cd-<key> is a custom property, sent as given.
    for (key, v) in ev.with_prefix("x-fb-cd-") {
        if cd.get(key).is_none() {
            apply(&mut cd, key, v, report);
        }
    }
    for (key, v) in &config.custom_data {
        if !v.is_null() {
            apply(&mut cd, key, v, report);
        }
    }
    check_enums(&cd, report);
    cd
}

/// Stape's webhook shape: with the default product array (`items`) absent, `ecommerce.items`.
fn ecommerce_items<'a>(config: &TagConfig, ev: &EventData<'a>) -> Option<&'a Value<'a>> {
    (config.product_schema.array_variable == "items")
        .then(|| ev.get("ecommerce.items"))
        .flatten()
}

/// A value that may come as JSON text (Meta's tag parses `x-fb-cd-contents` and
/// `custom_properties` when they are strings): the value it encodes, or the value itself.
fn json_or_text<'a>(v: &Value<'a>) -> Option<Value<'a>> {
    match v {
        Value::String(s) => json::parse(s.trim()).ok(),
        other => Some(other.clone()),
    }
}

/// Meta's `custom_properties` (an object, or JSON text of one): extra custom_data keys. The
/// event's own standard keys win; the `x-fb-cd-<key>` and config ones come after.
fn custom_properties<'a>(cd: &mut Value<'a>, ev: &EventData<'a>, report: &mut Report) {
    let Some(raw) = ev.root().get("custom_properties").filter(|v| !v.is_null()) else {
        return;
    };
    let Some(Value::Object(pairs)) = json_or_text(raw) else {
        report.warn(
            "custom_data.custom_properties_invalid",
            "custom_properties",
            "custom_properties must be an object or JSON text of one: ignored",
        );
        return;
    };
    for (key, v) in &pairs {
        if cd.get(key).is_none() && !v.is_null() {
            apply(cd, key, v, report);
        }
    }
}

/// Set `key` with the coercions its standard meaning requires.
fn apply<'a>(cd: &mut Value<'a>, key: &str, v: &Value<'a>, report: &mut Report) {
    // Meta's standard keys are set under their 'static names; any other is copied.
    let owned = || Key::from(key.to_string());
    match key {
        "value" => set_number(cd, "value", v, report),
        "predicted_ltv" => set_number(cd, "predicted_ltv", v, report),
        "net_revenue" => set_number(cd, "net_revenue", v, report),
        "currency" => match scalar_text(v) {
            Some(c) => set_currency(cd, c, report),
            None => report.warn(
                "custom_data.currency_invalid",
                "custom_data.currency",
                "currency must be text",
            ),
        },
        "contents" => match json_or_text(v) {
            Some(list @ Value::Array(_)) => cd.set("contents", list),
            _ => report.warn(
                "custom_data.contents_invalid",
                "custom_data.contents",
                "contents must be an array (or JSON text of one): dropped",
            ),
        },
        "num_items" => match count(v) {
            Some(n) => cd.set("num_items", Value::from(n)),
            None => report.warn(
                "custom_data.num_items_invalid",
                "custom_data.num_items",
                "num_items must be a whole number: dropped",
            ),
        },
        _ => cd.set(owned(), v.clone()),
    }
}

fn set_number<'a>(cd: &mut Value<'a>, key: &'static str, v: &Value<'a>, report: &mut Report) {
    match number(v) {
        Some(n) => cd.set(key, n),
        None => {
            let message = format!("{key} must be a number or numeric text: dropped");
            report.warn(
                "custom_data.not_a_number",
                format!("custom_data.{key}"),
                message,
            );
        }
    }
}

fn set_currency(cd: &mut Value<'_>, raw: &str, report: &mut Report) {
    let code = raw.trim().to_ascii_uppercase();
    if is_iso4217(&code) {
        cd.set("currency", Json::from(code));
    } else {
        // The event's text, cut: a problem string is no place for whatever a caller sent.
        let shown: String = raw.chars().take(16).collect();
        let message = format!("currency \"{shown}\" is not an ISO 4217 code");
        report.error(
            "custom_data.currency_invalid",
            "custom_data.currency",
            message,
        );
    }
}

fn check_enums(cd: &Value<'_>, report: &mut Report) {
    if let Some(t) = cd.get("content_type").and_then(Value::as_str) {
        if !CONTENT_TYPES.contains(&t) {
            report.warn(
                "custom_data.content_type_unknown",
                "custom_data.content_type",
                "content_type is usually product or product_group",
            );
        }
    }
    if let Some(d) = cd.get("delivery_category").and_then(Value::as_str) {
        if !DELIVERY_CATEGORIES.contains(&d) {
            report.error(
                "custom_data.delivery_category_invalid",
                "custom_data.delivery_category",
                "delivery_category must be in_store, curbside or home_delivery",
            );
        }
    }
}

/// One product of the event, its texts borrowed from the event (and in `contents` too).
struct Product<'a> {
    id: &'a str,
    quantity: u64,
    price: Option<Value<'a>>,
    title: Option<&'a str>,
    brand: Option<&'a str>,
    category: Option<&'a str>,
    currency: Option<&'a str>,
}

impl<'a> Product<'a> {
    fn into_json(self) -> Value<'a> {
        let mut fields = Vec::with_capacity(6);
        fields.push(("id".into(), Value::str(self.id)));
        fields.push(("quantity".into(), Value::from(self.quantity)));
        if let Some(p) = self.price {
            fields.push(("item_price".into(), p));
        }
        for (k, v) in [
            ("title", self.title),
            ("brand", self.brand),
            ("category", self.category),
        ] {
            if let Some(v) = v {
                fields.push((k.into(), Value::str(v)));
            }
        }
        Value::Object(fields)
    }
}

/// The product array per the config's product schema (GA4 `items` by default).
fn products<'a>(config: &TagConfig, ev: &EventData<'a>, report: &mut Report) -> Vec<Product<'a>> {
    let schema = &config.product_schema;
    let Some(items) = ev
        .get(&schema.array_variable)
        .or_else(|| ecommerce_items(config, ev))
    else {
        return Vec::new();
    };
    let Some(items) = items.as_array() else {
        let message = format!("{} is not an array: no contents", schema.array_variable);
        report.warn(
            "custom_data.items_not_an_array",
            schema.array_variable.clone(),
            message,
        );
        return Vec::new();
    };
    if items.len() > MAX_CONTENTS {
        let message = format!(
            "{} has {} items: at most {MAX_CONTENTS} are accepted in one event",
            schema.array_variable,
            items.len()
        );
        report.error(
            "custom_data.too_many_contents",
            schema.array_variable.clone(),
            message,
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |k: &str| item.get(k).filter(|v| !v.is_null());
        let text = |k: &str| {
            field(k)
                .and_then(scalar_text)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        // Only a warning names the item: no path formatted for the items that are fine.
        let path = || format!("{}[{}]", schema.array_variable, i);
        // Meta's tag: an item without an id is known by its name.
        let Some(id) = text(&schema.id_field).or_else(|| text("item_name")) else {
            let path = path();
            let message = format!("{path} has no {}: left out of contents", schema.id_field);
            report.warn("custom_data.item_without_id", path, message);
            continue;
        };
        let quantity = match field(&schema.quantity_field) {
            None => 1,
            Some(q) => count(q).unwrap_or_else(|| {
                let path = path();
                let message = format!(
                    "{path}.{} is not a whole number: counted as 1",
                    schema.quantity_field
                );
                report.warn("custom_data.item_quantity_invalid", path, message);
                1
            }),
        };
        let price = field(&schema.price_field).and_then(number);
        out.push(Product {
            id,
            quantity,
            price,
            title: text("item_name"),
            brand: text("item_brand"),
            category: text("item_category"),
            currency: text("currency"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::model::config::ProductSchema;

    fn run(config: &TagConfig, event: &str) -> (Json, Report) {
        let v = parse(event).expect("event");
        let mut r = Report::default();
        let cd = build(config, &EventData::new(&v), &mut r).into_owned();
        (cd, r)
    }

    #[test]
    fn ga4_purchase() {
        let (cd, r) = run(
            &TagConfig::default(),
            r#"{"value": "129.90", "currency": "pln", "transaction_id": "T-1",
            "items": [{"item_id": "A", "quantity": 2, "price": 50, "item_name": "Shoe", "item_brand": "B"},
                      {"item_id": 7, "price": "29.90"}, {"item_name": "no id"}, {"price": 1}]}"#,
        );
        // An item without item_id is known by its name (Meta's tag); without either, left out.
        assert_eq!(
            cd.to_json(),
            r#"{"value":129.90,"currency":"PLN","order_id":"T-1","content_ids":["A","7","no id"],"contents":[{"id":"A","quantity":2,"item_price":50,"title":"Shoe","brand":"B"},{"id":"7","quantity":1,"item_price":29.90},{"id":"no id","quantity":1,"title":"no id"}],"content_type":"product","num_items":4}"#
        );
        assert_eq!(
            r.warnings.iter().map(|w| w.code).collect::<Vec<_>>(),
            vec!["custom_data.item_without_id"]
        );
    }

    #[test]
    fn custom_product_schema() {
        let config = TagConfig {
            product_schema: ProductSchema {
                array_variable: "ecommerce.products".into(),
                id_field: "sku".into(),
                quantity_field: "qty".into(),
                price_field: "unit".into(),
            },
            ..TagConfig::default()
        };
        let (cd, _) = run(
            &config,
            r#"{"ecommerce": {"products": [{"sku": "S1", "qty": "3", "unit": 5}]}}"#,
        );
        assert_eq!(cd.get("num_items"), Some(&Json::from(3u64)));
        assert_eq!(
            cd.get("content_ids").map(Json::to_json).as_deref(),
            Some(r#"["S1"]"#)
        );
    }

    #[test]
    fn invalid_values_are_reported() {
        let (cd, r) = run(
            &TagConfig::default(),
            r#"{"value": "12,50", "currency": "EURO", "x-fb-cd-delivery_category": "drone"}"#,
        );
        assert!(cd.get("value").is_none() && cd.get("currency").is_none());
        assert!(r.has("custom_data.not_a_number"));
        assert!(r
            .errors
            .iter()
            .any(|e| e.code == "custom_data.currency_invalid"));
        assert!(r
            .errors
            .iter()
            .any(|e| e.code == "custom_data.delivery_category_invalid"));
    }

    #[test]
    fn x_fb_cd_and_config_overrides() {
        let config = TagConfig {
            custom_data: vec![
                ("content_type".into(), Json::from("product_group")),
                ("value".into(), Json::from("9")),
            ],
            ..TagConfig::default()
        };
        let (cd, _) = run(
            &config,
            r#"{"x-fb-cd-value": 5, "value": 1, "x-fb-cd-membership": "gold", "search_term": "shoes",
            "items": [{"item_id": "A"}]}"#,
        );
        assert_eq!(cd.get("value"), Some(&Value::Number("9".into())));
        assert_eq!(cd.get("membership").and_then(Value::as_str), Some("gold"));
        assert_eq!(
            cd.get("search_string").and_then(Value::as_str),
            Some("shoes")
        );
        assert_eq!(
            cd.get("content_type").and_then(Value::as_str),
            Some("product_group")
        );
    }
}
