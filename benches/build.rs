//! Native bench of one Purchase build (11 PII fields, 5 items; tests/bench/purchase-sgtm.json)
//! and a minimal page_view: microseconds per event and allocations per event (counted by a
//! counting allocator), from JSON text in to the result text out, as the wasm export does.
//! Prints; asserts nothing (tests/allocations.rs holds the allocation bound).
//!   cargo bench --bench build
use omni_meta_capi::json;
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::Tag;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::ALLOCATIONS;

const CLOCK: Clock = Clock {
    now_ms: 1_780_315_200_000,
    entropy: [9; 16],
};

/// What the wasm export does with one event: read it in place, build, write the result text.
fn build_wire(tag: &Tag, event: &str, request: &str) -> (usize, String) {
    let parsed = json::parse_borrowed(event).unwrap_or(json::Json::Null);
    let req = json::parse_borrowed(request).unwrap_or(json::Json::Null);
    let out = tag.build(&parsed, &req, CLOCK);
    (out.requests.len(), out.to_wire())
}

fn measure(name: &str, tag: &Tag, event: &str, request: &str) {
    let n: u32 = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..n / 20 {
        std::hint::black_box(build_wire(tag, event, request));
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let (requests, wire) = build_wire(tag, event, request);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(requests > 0, "{name}: nothing built: {wire}");
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(build_wire(tag, event, request));
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("{name:<40} {us:>8.2} us/event {allocations:>6} allocations/event");
}

/// Allocations of one call of `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// Where a Purchase's allocations go, stage by stage.
fn stages(tag: &Tag, event: &str, request: &str) {
    let parsed = json::parse_borrowed(event).unwrap_or(json::Json::Null);
    let req = json::parse_borrowed(request).unwrap_or(json::Json::Null);
    let parse = allocations(|| drop(std::hint::black_box(json::parse_borrowed(event))));
    let build = allocations(|| drop(std::hint::black_box(tag.build(&parsed, &req, CLOCK))));
    let out = tag.build(&parsed, &req, CLOCK);
    let wire = allocations(|| drop(std::hint::black_box(out.to_wire())));
    println!("  allocations by stage: parse {parse}, build {build}, result text {wire}");
}

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/{p}")).expect(p);
    let tag = Tag::from_text(&read("examples/tag.json"));
    let request = read("examples/request.json");
    measure(
        "Purchase (11 PII fields, 5 items)",
        &tag,
        &read("tests/bench/purchase-sgtm.json"),
        &request,
    );
    stages(&tag, &read("tests/bench/purchase-sgtm.json"), &request);
    let page_view = r#"{"event_name":"page_view","client_id":"1.2","page_location":"https://s.com/","user_agent":"UA","ip_override":"81.2.69.9"}"#;
    measure("page_view (no PII)", &tag, page_view, "{}");
}
