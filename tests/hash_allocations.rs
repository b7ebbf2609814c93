//! Allocations of `hashUserDataBatch`'s path (user_data_batch::hash_records_json), counted
//! natively by a counting allocator: a batch of records costs a handful of buffer growths, not
//! allocations per value (the JSON tree path made ~100 per record of 11 fields).
#![cfg(not(target_arch = "wasm32"))]

use omni_meta_capi::normalize::Context;
use omni_meta_capi::user_data_batch::hash_records_json;
use std::sync::atomic::Ordering;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::ALLOCATIONS;

const CTX: Context = Context { current_year: 2026 };

/// One record of 11 fields, varied by `i`: ASCII and other scripts, dropped values, a digest,
/// a list, a number, a plain key.
fn record(i: usize) -> String {
    let names = ["Mary", "Valéry", "ΟΔΥΣΣΕΑΣ", "Пётр", "山田", "O'Brien"];
    let cities = ["New York", "São Paulo", "東京", "Zürich"];
    let states = ["California", "CA", "Bavaria", "x", "New York State"];
    let countries = ["United States", "US", "Deutschland", "Korea, Republic of"];
    let pick = |list: &[&'static str]| list[i % list.len()];
    format!(
        concat!(
            r#"{{"em":["User{i}@Example.com"," u{i}@x.io ","bad@"],"ph":"+1 (650) 555-{i:04}","fn":"{}","ln":"{}","#,
            r#""ge":"{}","db":"{}","ct":"{}","st":"{}","zp":{},"country":"{}","#,
            r#""external_id":"{}","fbp":"fb.1.1596403881668.{i}"}}"#
        ),
        pick(&names),
        pick(&names[1..]),
        pick(&["Female", "m", "queen", "?"]),
        pick(&["2/16/1997", "1997-02-16", "13/13/13", "19970216"]),
        pick(&cities),
        pick(&states),
        pick(&["94025", "\"SW1A 1AA\"", "1"]),
        pick(&countries),
        pick(&[
            " User-42 ABC ",
            "62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F",
        ]),
        i = i,
    )
}

// One test in this binary: no other thread allocates while it counts.
#[test]
fn a_batch_allocates_per_call_not_per_value() {
    let batch = format!("[{}]", (0..500).map(record).collect::<Vec<_>>().join(","));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = hash_records_json(&batch, CTX).expect("a JSON array");
    let made = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(out.matches("\"userData\"").count(), 500);
    assert!(
        out.contains("\"dropped\":[{\"field\":\"em\",\"index\":2,\"reason\":\"invalid_email\"}")
    );
    eprintln!("{made} allocations for 500 records");
    // A lowercasing temporary for each value with a capital sigma (its final form depends on
    // context; over a third of these records have one), and the growth of a few buffers.
    let sigma_values = (0..500)
        .map(|i| record(i).matches("ΟΔΥΣΣΕΑΣ").count() as u64)
        .sum::<u64>();
    assert!(sigma_values > 100);
    assert!(
        made <= sigma_values + 16,
        "{made} allocations for 500 records ({sigma_values} values with a capital sigma)"
    );

    let one = format!("[{}]", record(7));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = hash_records_json(&one, CTX).expect("a JSON array");
    let made = ALLOCATIONS.load(Ordering::Relaxed) - before;
    eprintln!("{made} allocations for one record");
    assert!(out.starts_with("[{\"userData\":{\"em\":["));
    // The output, and the list of the `em` values (the scratch buffers are kept between calls).
    assert!(made <= 4, "{made} allocations for one record");
}
