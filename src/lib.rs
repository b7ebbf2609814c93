//! omni-meta-capi: a Meta Conversions API tag. The core is plain Rust (no wasm-bindgen types);
//! `bindings` is the one module that speaks to JavaScript.
pub mod hash;
pub mod json;
pub mod jsonl;
pub mod normalize;
pub mod user_data;

pub mod bindings;
