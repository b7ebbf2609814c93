use omni_meta_capi::json::parse;
use omni_meta_capi::payload::Clock;
use omni_meta_capi::tag::Tag;
use std::time::Instant;
fn main() {
    let config = parse(include_str!("tag.json")).unwrap();
    let event = parse(include_str!("purchase-event.json")).unwrap();
    let request = parse(include_str!("request.json")).unwrap();
    let tag = Tag::new(&config);
    let clock = Clock { now_ms: 1_764_331_200_000, entropy: [1; 16] };
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(tag.build(&event, &request, clock).to_json().to_json());
    }
    println!("build {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
