//! Operations: what the tag and the container say about their work and how to check them.
//! `logging` (records, scrubbed of secrets and PII: in the core crate, re-exported), `observe` (the records of each stage),
//! `metrics` (counters and Prometheus text), `monitor` (the error monitor's gate), `doctor`
//! (health checks of a config), and for the dashboard `history` (what each instance records, the
//! views), `emq` (the Event Match Quality estimate) and `alerts` (thresholds to post about).
pub mod alerts;
pub mod doctor;
pub mod emq;
pub mod history;
pub use omni_meta_capi_core::logging;
pub mod metrics;
pub mod monitor;
pub mod observe;
