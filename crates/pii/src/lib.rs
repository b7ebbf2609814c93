//! The hot path of omni-meta-capi, in its own crate so it can be compiled for speed while the
//! tag engine around it is compiled for size (the wasm size budget): PII normalization
//! byte-identical to Meta's param builder, SHA-256, user_data hashing, the JSON value that
//! crosses the JS boundary, and the CLI's JSON-lines protocol. No wasm-bindgen here.
pub mod hash;
pub mod json;
pub mod jsonl;
pub mod normalize;
pub mod sha256_block;
pub mod user_data;
pub mod user_data_batch;
