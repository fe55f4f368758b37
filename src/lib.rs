//! zhclean: clean scraped collections of Chinese speeches and official documents.
//!
//! The library holds all the logic; the `zhclean` binary only parses flags into a
//! [`Config`] and calls [`pipeline::run`]. Each stage is a module that owns one job
//! (see README's architecture section): [`source`] ([`walk`], or [`records`]) → [`decode`] → [`lines`] →
//! [`boilerplate`] → [`structure`] → [`parts`] → [`placeholders`] → [`segment`] →
//! [`fingerprint`] → [`minhash`] → [`lsh`] → [`verify`] → [`gaps`] (document coverage
//! across units cut differently) → [`cluster`] → [`keep`] → [`report`] → [`sink`] (or
//! [`records`]).
//!
//! Normalising masks in one line of text:
//!
//! ```
//! use zhclean::placeholders::{apply, detect, Kind};
//! use zhclean::MaskStyle;
//!
//! let text = "报请X书记同意，201x年完成x%，X光检查照常。";
//! let spans = detect(text);
//! let kinds: Vec<Kind> = spans.iter().map(|s| s.kind).collect();
//! assert_eq!(kinds, [Kind::Entity, Kind::Year, Kind::Number]);
//! assert_eq!(apply(text, &spans, MaskStyle::Conventional), "报请××书记同意，20××年完成×%，X光检查照常。");
//! ```
//!
//! The input and the output are seams: [`Cleaner::run`] reads any [`source::Source`]
//! (a folder, texts in memory) and writes into any [`sink::Sink`] (the staged output
//! folder, memory); `pipeline::run` is a [`Cleaner`] over the folder `INPUT` into
//! `OUT`. Running a whole clean from code:
//!
//! ```no_run
//! let mut cfg = zhclean::Config::new("corpus/", "out/");
//! cfg.keep = zhclean::KeepPolicy::Longest;
//! let outcome = zhclean::pipeline::run(&cfg)?;
//! println!("{} paragraph clusters", outcome.summary.counts.clusters.paragraph);
//! # Ok::<(), zhclean::Error>(())
//! ```

// Public items' docs point at the private helpers and constants that define them; they
// resolve in `cargo doc --document-private-items`, the developers' build of the docs.
#![allow(rustdoc::private_intra_doc_links)]

pub mod boilerplate;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod decode;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod gaps;
pub mod index;
pub mod keep;
pub mod lines;
pub mod lsh;
pub mod markup;
pub mod memo;
pub mod minhash;
pub mod parts;
pub mod pipeline;
pub mod placeholders;
pub mod prefetch;
pub mod records;
pub mod release;
pub mod report;
pub mod review;
pub mod script;
pub mod segment;
pub mod sink;
pub mod source;
pub mod structure;
pub mod synth;
pub mod verify;
pub mod walk;

pub use config::{Config, Fold, InputFormat, KeepPolicy, MaskStyle, ShingleKind};
pub use error::{Error, Result};
pub use pipeline::Cleaner;
