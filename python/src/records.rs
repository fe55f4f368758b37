//! Records (JSON Lines or Parquet rows) read by Spark's own readers: their checks and
//! unit names, and the write-back of one record, as `zhclean clean` does them
//! (`zhclean::records`).
//!
//! A record reaches the engine as its `source`: the JSON line of a JSON Lines file, or
//! the text of a Parquet row (Spark reads the other columns and keeps them).

use super::*;
use zhclean::records::sink::{cleaned_text, write_back, ClusterNote, Note, RecordsOut};
use zhclean::records::{self as rec, Format};
use zhclean::sink::CleanOut;
use zhclean::source::Memory;

/// What the engine reads records with.
pub(crate) struct RecordsIn {
    pub format: Format,
    pub text_field: String,
    pub id_field: Option<String>,
    pub out: RecordsOut,
}

impl RecordsIn {
    pub(crate) fn of(cfg: &zhclean::Config, format: Format) -> RecordsIn {
        RecordsIn {
            format,
            text_field: cfg.records.text_field.clone(),
            id_field: cfg.records.id_field.clone(),
            out: cfg.records_out,
        }
    }

    /// The text of a record from its `source` (a JSON line is parsed again: only a
    /// line that parsed when it was listed gets here).
    pub(crate) fn text(&self, source: &str) -> PyResult<String> {
        match self.format {
            Format::Parquet => Ok(source.to_string()),
            Format::Jsonl => rec::parse_record(source.as_bytes(), &self.text_field, None, 0)
                .map(|r| r.text)
                .map_err(value_err),
        }
    }

    /// What listing the record at `position` of `file` finds: a blank line (None), a
    /// record and its unit name, or why it is passed over (as `summary.json` gives it).
    pub(crate) fn check(
        &self,
        file: &str,
        position: u64,
        source: Option<&str>,
        id: Option<&str>,
    ) -> Option<Result<String, Skipped>> {
        let bad = |reason: String| Skipped {
            file: file.to_string(),
            reason,
            ..self.format.place(position)
        };
        let named = |id: &str| rec::unit_name(file, position, id);
        Some(match self.format {
            Format::Jsonl => {
                let line = source.unwrap_or_default();
                if rec::is_blank(line.as_bytes()) {
                    return None;
                }
                rec::parse_record(
                    line.as_bytes(),
                    &self.text_field,
                    self.id_field.as_deref(),
                    position,
                )
                .map(|r| named(&r.id))
                .map_err(|e| bad(e.to_string()))
            }
            Format::Parquet => match (source, &self.id_field, id) {
                (None, _, _) => Err(bad(format!("the \"{}\" field is null", self.text_field))),
                (Some(_), None, _) => Ok(named(&position.to_string())),
                (Some(_), Some(_), Some(id)) => Ok(named(id)),
                (Some(_), Some(name), None) => Err(bad(format!("the \"{name}\" field is null"))),
            },
        })
    }

    /// The records of a batch (`rel_path`: unit names, `source`) as a [`Memory`] source
    /// of their texts.
    pub(crate) fn source(&self, names: &StringArray, sources: &StringArray) -> PyResult<Memory> {
        let units = (0..names.len())
            .map(|i| Ok((names.value(i).to_string(), self.text(sources.value(i))?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Memory::new(units))
    }

    /// The record whose `source` is given, written back with its cleaned text
    /// (`cleaned`: None when it kept none) and, annotating, its note: the JSON line
    /// without its newline (JSON Lines) or the text to write (Parquet); None when the
    /// record is dropped. The note is returned apart for a Parquet row (its `zhclean`
    /// column).
    pub(crate) fn write_back(
        &self,
        source: &str,
        cleaned: Option<Vec<u8>>,
        note: impl FnOnce() -> Result<String, String>,
    ) -> PyResult<(Option<String>, Option<String>)> {
        let cleaned_of = |orig: &str| {
            cleaned
                .map(|c| cleaned_text(orig, c))
                .transpose()
                .map_err(value_err)
        };
        match self.format {
            Format::Jsonl => {
                let mut r = rec::parse_record(source.as_bytes(), &self.text_field, None, 0)
                    .map_err(value_err)?;
                let text = cleaned_of(&r.text)?;
                let mut line = Vec::new();
                if !write_back(&mut r, self.out, &self.text_field, text, note, &mut line)
                    .map_err(value_err)?
                {
                    return Ok((None, None));
                }
                line.pop();
                Ok((Some(String::from_utf8(line).expect("JSON is UTF-8")), None))
            }
            Format::Parquet => Ok(match (self.out, cleaned_of(source)?) {
                (RecordsOut::Annotate, _) => {
                    (Some(source.to_string()), Some(note().map_err(value_err)?))
                }
                (_, Some(t)) => (Some(t), None),
                (RecordsOut::KeepEmpty, None) => (Some(String::new()), None),
                (RecordsOut::Clean, None) => (None, None),
            }),
        }
    }
}

/// The note of an annotated record: whether it kept text, its clusters (JSON, a list of
/// `{cluster, level, kept}` in `clusters.jsonl` order; null: none) and its own report
/// lines.
pub(crate) fn note(
    kept: bool,
    clusters: Option<&str>,
    removed: &[u8],
    placeholders: &[u8],
) -> Result<String, String> {
    let clusters: Vec<ClusterNote> = match clusters {
        None => Vec::new(),
        Some(j) => serde_json::from_str(j).map_err(|e| format!("cluster notes: {e}"))?,
    };
    let n = Note::of_lines(kept, clusters, removed, placeholders).map_err(|e| e.to_string())?;
    Ok(serde_json::to_string(&n).expect("annotations serialise"))
}

/// Cleaned text of one unit, caught as the write phase hands it over.
#[derive(Default)]
pub(crate) struct Caught(Mutex<Option<Vec<u8>>>);

impl Caught {
    pub(crate) fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().expect("not poisoned").take()
    }
}

impl CleanOut for Caught {
    fn clean(&self, _unit: &str, text: &[u8]) -> zhclean::Result<()> {
        *self.0.lock().expect("not poisoned") = Some(text.to_vec());
        Ok(())
    }
}
