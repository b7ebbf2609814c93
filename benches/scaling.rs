//! Scaling: one event with 1x, 10x and 100x the items (and a batch of 1x, 10x, 100x events),
//! built natively: time and peak heap per build, and the growth between steps (linear work
//! grows ~10x per step). Prints; asserts nothing.
//!   cargo bench --bench scaling
use omni_meta_capi::batch::{build_batch, Contexts};
use omni_meta_capi::json::{self, Json};
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::Tag;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Peak;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}
#[global_allocator]
static A: Peak = Peak;

const CLOCK: Clock = Clock {
    now_ms: 1_780_315_200_000,
    entropy: [9; 16],
};

fn purchase(items: usize) -> String {
    let items: Vec<String> = (0..items)
        .map(|i| {
            format!(
                r#"{{"item_id":"SKU-{i}","item_name":"Item {i}","quantity":{},"price":{}.95}}"#,
                i % 3 + 1,
                i % 90
            )
        })
        .collect();
    format!(
        r#"{{"event_name":"purchase","event_id":"o-1","page_location":"https://s.com/","user_agent":"UA","ip_override":"81.2.69.9","value":12.5,"currency":"USD","items":[{}]}}"#,
        items.join(",")
    )
}

fn page_views(n: usize) -> String {
    let events: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"event_name":"page_view","event_id":"e{i}","page_location":"https://s.com/","user_agent":"UA","ip_override":"81.2.69.9"}}"#))
        .collect();
    format!("[{}]", events.join(","))
}

/// (seconds, peak bytes above the input) of `run`.
fn measure(run: impl Fn()) -> (f64, usize) {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    run();
    (
        t.elapsed().as_secs_f64(),
        PEAK.load(Ordering::Relaxed) - base,
    )
}

fn report(what: &str, sizes: &[usize], run: impl Fn(usize)) {
    let mut last: Option<(f64, usize)> = None;
    for &n in sizes {
        let (s, peak) = measure(|| run(n));
        let growth = last.map_or(String::new(), |(ls, lp)| {
            format!(
                "  time x{:.1}, memory x{:.1}",
                s / ls,
                peak as f64 / lp as f64
            )
        });
        println!(
            "{what:<28} {n:>7}: {:>9.2} ms {:>9.1} MB{growth}",
            s * 1e3,
            peak as f64 / 1e6
        );
        last = Some((s, peak));
    }
}

fn main() {
    let tag = Tag::from_text(r#"{"pixelId":"1","accessToken":"t"}"#);
    let base: usize = std::env::var("SCALE_BASE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let sizes = [base, base * 10, base * 100];
    report("items in one Purchase", &sizes, |n| {
        let event = purchase(n);
        std::hint::black_box(tag.build_text(&event, "{}", CLOCK));
    });
    let wasm_tag =
        omni_meta_capi::bindings::WasmTag::new(r#"{"pixelId":"1","accessToken":"t"}"#, None);
    report("items, through the wasm export", &sizes, |n| {
        let event = purchase(n);
        let out = wasm_tag.build(event.as_bytes(), b"{}", 1.78e12, &[], None, None);
        std::hint::black_box(out);
    });
    if std::env::var_os("SCALE_ITEMS_ONLY").is_some() {
        return;
    }
    report("page_view events in a batch", &sizes, |n| {
        let events = json::parse(&page_views(n)).unwrap_or(Json::Null);
        let list = events.as_array().unwrap_or_default();
        let out = build_batch(&tag, list, Contexts::Shared(&Json::Null), CLOCK, &[], None);
        std::hint::black_box(out.to_wire());
    });
}
