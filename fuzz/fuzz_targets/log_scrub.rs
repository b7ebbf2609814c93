//! Log scrubbing: any message Meta or a host sends, as a message and as data, never leaves a
//! secret of the config in a record, and the error monitor's body is JSON.
#![no_main]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use omni_meta_capi::config::LogLevel;
use omni_meta_capi::json::Json;
use omni_meta_capi::logging::{error_monitor_body, foreign_message, scrub, Logger};

const SECRET: &str = "EAAB-fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let secrets = vec![SECRET.to_string()];
    let polluted = format!("{text}{SECRET}{text}");
    let mut log = Logger::new(LogLevel::Debug, "trace").with_secrets(secrets.clone());
    let message = foreign_message(&polluted, 500, &secrets);
    assert!(!message.contains(SECRET));
    log.error("Dispatch", "Error", &polluted, Some(as_json(&text)));
    log.debug(
        "Dispatch",
        "Response",
        &message,
        Some(Json::from(polluted.as_str())),
    );
    let _ = scrub(&as_json(&text));
    for record in log.records() {
        let line = record.to_json();
        assert!(!line.contains(SECRET), "secret in a record: {line}");
        reparses(&error_monitor_body(record), "monitor body");
    }
});
