//! zhclean: clean scraped collections of Chinese speeches and official documents.
//!
//! The library holds all the logic; the `zhclean` binary only parses flags into a
//! [`Config`] and calls [`pipeline::run`]. Each stage is a module that owns one job
//! (see README's architecture section): [`walk`] → [`decode`] → [`lines`] →
//! [`boilerplate`] → [`structure`] → [`placeholders`] → [`segment`] → [`fingerprint`]
//! → [`minhash`] → [`lsh`] → [`cluster`] → [`keep`] → [`report`].

pub mod boilerplate;
pub mod cluster;
pub mod config;
pub mod decode;
pub mod error;
pub mod fingerprint;
pub mod keep;
pub mod lines;
pub mod lsh;
pub mod minhash;
pub mod pipeline;
pub mod placeholders;
pub mod report;
pub mod segment;
pub mod structure;
pub mod walk;

pub use config::{Config, KeepPolicy, MaskStyle, ShingleKind};
pub use error::{Error, Result};
