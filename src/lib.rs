//! omni-meta-capi: a Meta Conversions API tag. The core is plain Rust (no wasm-bindgen types);
//! `bindings` is the one module that speaks to JavaScript.
//!
//! The pipeline (`tag`): payload construction (`payload`, `user_data`, `normalize`, `privacy`)
//! -> identity resolution (`identity`) -> validation (`validate`) -> enrichment (`enrichment`)
//! -> dispatch (`request` builds the HTTP request; `dispatch` decides on each try's answer).
pub use omni_meta_capi_pii::{hash, json, jsonl, normalize, user_data};

pub mod alerts;
pub mod base64;
pub mod batch;
pub mod collect;
pub mod config;
pub mod container;
pub mod delivery;
pub mod dispatch;
pub mod doctor;
pub mod emq;
pub mod enrichment;
pub mod event_data;
pub mod history;
pub mod identity;
pub mod ip;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod number;
pub mod observe;
pub mod payload;
pub mod privacy;
pub mod report;
pub mod request;
pub mod sort;
pub mod tag;
pub mod url;
pub mod validate;

pub mod bindings;
