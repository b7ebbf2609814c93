//! The container config and environment: any JSON becomes a report and tags, never a panic.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::container::Container;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (config, env) = split2(&text);
    let c = Container::new(&as_json(config), &as_json(env));
    reparses(&c.report().to_json().to_json(), "container report");
    for t in &c.tags {
        reparses(&t.config.to_json(), "tag config");
    }
});
