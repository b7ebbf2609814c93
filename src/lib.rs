//! omni-meta-capi: a Meta Conversions API tag. The tag engine (config + event data -> a
//! validated Meta request: `model`, `pipeline`, `support`, `logging`) is the
//! `omni-meta-capi-core` crate, compiled for speed; normalization and hashing are
//! `omni-meta-capi-pii`. This crate, compiled for size, adds what runs around the engine:
//! - `container`: the server container (routes, GA4 hits, auth, limits, its settings);
//! - `ops`: operations (metrics, the error monitor's gate, doctor, history, alerts);
//! - `bindings`: the one module that speaks to JavaScript (wasm-bindgen).
//!
//! Every module of the engine is re-exported here under its old path (`crate::tag`,
//! `crate::logging`, ...), which the container, the tests, the fuzz targets and the benches use.
pub use omni_meta_capi_core::{
    hash, json, jsonl, logging, model, normalize, pipeline, support, user_data,
};
pub use omni_meta_capi_pii::user_data_batch;

// The wasm heap (talc, growing the memory geometrically).
#[cfg(all(not(target_feature = "atomics"), target_arch = "wasm32"))]
mod allocator;

pub mod container;
pub mod ops;

pub use container::collect;
pub use model::report;
pub use ops::{alerts, doctor, emq, history, metrics, monitor, observe};
pub use pipeline::{
    batch, config, delivery, dispatch, enrichment, event_data, hints, identity, offline, payload,
    privacy, request, tag, validate,
};
pub use support::{base64, entropy, golden, ip, number, psl, sort, url};

pub mod bindings;
