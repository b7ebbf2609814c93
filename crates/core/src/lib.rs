//! The tag engine of omni-meta-capi: plain Rust, no wasm-bindgen types, compiled for speed
//! (the event -> request body path is the hot path; see the workspace Cargo.toml). The folders
//! show the design:
//! - `model`: the typed model (tag config, report, HTTP requests) every part reads;
//! - `pipeline`: the tag's layers, in the order an event goes through them (see its docs);
//! - `support`: small shared helpers;
//! - `logging`: structured log records and the scrubbing of secrets and PII from them.
//!
//! Normalization and hashing (`normalize`, `user_data`, `hash`) and the JSON value are the
//! `omni-meta-capi-pii` crate. Every module is also re-exported at the root under its short path
//! (`crate::tag`, `crate::url`, ...), which the code, the tests, the fuzz targets and the benches
//! use.
pub use omni_meta_capi_pii::{hash, json, jsonl, normalize, sha256_block, user_data};

pub mod logging;
pub mod model;
pub mod pipeline;
pub mod support;

pub use model::report;
pub use pipeline::{
    batch, config, delivery, dispatch, enrichment, event_data, hints, identity, offline, payload,
    privacy, request, tag, validate,
};
pub use support::{base64, entropy, golden, ip, number, psl, sort, url};
