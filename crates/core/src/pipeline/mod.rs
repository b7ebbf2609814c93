//! The tag's pipeline, its layers in the order an event goes through them:
//! 0. `config`: the tag config read into the typed model, once per tag;
//! 1. `event_data`: the sGTM event data and the request context, as read;
//! 2. `payload`: payload construction (server event, user_data hashed, custom_data, cookies),
//!    with `privacy` (consent, data processing options, sendPii);
//! 3. `identity`: identity resolution (what to ask the identity service, what it answered);
//! 4. `validate`: what Meta would refuse, reported before it is sent;
//! 5. `enrichment`: what identity resolution adds to the event;
//! 6. `request`: the HTTP request(s) for Meta, one per pixel;
//! 7. `dispatch`: the decision after each try (retry, give up, accepted);
//! 8. `delivery`: a durable queue's batch settled after a try.
//!
//! `tag` runs 1-6 for one event; `batch` for many events of one or more incoming requests.
pub mod batch;
pub mod config;
pub mod delivery;
pub mod dispatch;
pub mod enrichment;
pub mod event_data;
pub mod hints;
pub mod identity;
pub mod offline;
pub mod payload;
pub mod privacy;
pub mod request;
pub mod tag;
pub mod validate;
