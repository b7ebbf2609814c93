//! omni-meta-capi: a Meta Conversions API tag. The core is plain Rust (no wasm-bindgen types);
//! `bindings` is the one module that speaks to JavaScript. The folders show the design:
//! - `model`: the typed model (tag config, report, HTTP requests) every part reads;
//! - `pipeline`: the tag's layers, in the order an event goes through them (see its docs);
//! - `container`: the server container (routes, GA4 hits, auth, limits, its settings);
//! - `ops`: operations (logs, metrics, the error monitor's gate, doctor);
//! - `support`: small shared helpers.
//!
//! Normalization and hashing (`normalize`, `user_data`, `hash`) and the JSON value are the
//! `omni-meta-capi-pii` crate, compiled for speed. Every module is also re-exported at the root
//! under its old path (`crate::tag`, `crate::logging`, ...), which the tests, the fuzz targets
//! and the benches use.
pub use omni_meta_capi_pii::{hash, json, jsonl, normalize, user_data, user_data_batch};

// The wasm heap (talc, growing the memory geometrically).
#[cfg(all(not(target_feature = "atomics"), target_arch = "wasm32"))]
mod allocator;

pub mod container;
pub mod model;
pub mod ops;
pub mod pipeline;
pub mod support;

pub use container::collect;
pub use model::report;
pub use ops::{alerts, doctor, emq, history, logging, metrics, monitor, observe};
pub use pipeline::{
    batch, config, delivery, dispatch, enrichment, event_data, hints, identity, offline, payload,
    privacy, request, tag, validate,
};
pub use support::{base64, entropy, golden, ip, number, sort, url};

pub mod bindings;
