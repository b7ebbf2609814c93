//! The typed model every part uses: the tag config, the identity settings, the report of what
//! was wrong, the HTTP requests handed to the host. Data and small helpers only: the model
//! depends on nothing but the JSON value, so the pipeline, the container and operations can all
//! depend on it without depending on each other.
pub mod config;
pub mod http;
pub mod identity;
pub mod report;
