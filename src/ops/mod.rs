//! Operations: what the tag and the container say about their work and how to check them.
//! `logging` (records, scrubbed of secrets and PII), `observe` (the records of each stage),
//! `metrics` (counters and Prometheus text), `monitor` (the error monitor's gate) and `doctor`
//! (health checks of a config).
pub mod doctor;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod observe;
