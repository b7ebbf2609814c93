//! omni-meta-capi: a Meta Conversions API tag. The core is plain Rust (no wasm-bindgen types);
//! `bindings` is the one module that speaks to JavaScript.
//!
//! The pipeline (`tag`): payload construction (`payload`, `user_data`, `normalize`) ->
//! privacy (`privacy`) -> validation (`validate`) -> the HTTP request (`request`).
pub mod config;
pub mod event_data;
pub mod hash;
pub mod ip;
pub mod json;
pub mod jsonl;
pub mod normalize;
pub mod number;
pub mod payload;
pub mod privacy;
pub mod report;
pub mod request;
pub mod tag;
pub mod url;
pub mod user_data;
pub mod validate;

pub mod bindings;
