//! Parquet files as records: a record a row, its text in a string column.
//!
//! Reading takes only the text (and id) columns, a batch of rows at a time. Writing
//! back reads every column again, batch by batch, replaces the text column (same
//! type: `Utf8`, `LargeUtf8` or `Utf8View`), drops the rows that keep no text, and
//! writes a file of the same schema (its metadata too, so a Hugging Face dataset's
//! features survive) with the compression of the input's first column chunk; with
//! `--annotate` it adds a `zhclean` column of JSON text instead.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::file::properties::WriterProperties;

use super::sink::{Cleaned, RecordsOut};
use super::source::{RecordFile, RecordOptions, Spooled, Spooler};

/// Rows read at a time.
const BATCH_ROWS: usize = 1024;

/// The string at row `i` of a string column (None: null, or not a string column).
fn str_at(col: &dyn Array, i: usize) -> Option<&str> {
    if col.is_null(i) {
        return None;
    }
    match col.data_type() {
        DataType::Utf8 => Some(col.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(col.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(col.as_string_view().value(i)),
        _ => None,
    }
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The id at row `i` of an id column: a string, or an integer written out.
fn id_at(col: &dyn Array, i: usize) -> Option<String> {
    use arrow_array::types::*;
    if col.is_null(i) {
        return None;
    }
    Some(match col.data_type() {
        DataType::Int8 => col.as_primitive::<Int8Type>().value(i).to_string(),
        DataType::Int16 => col.as_primitive::<Int16Type>().value(i).to_string(),
        DataType::Int32 => col.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::UInt8 => col.as_primitive::<UInt8Type>().value(i).to_string(),
        DataType::UInt16 => col.as_primitive::<UInt16Type>().value(i).to_string(),
        DataType::UInt32 => col.as_primitive::<UInt32Type>().value(i).to_string(),
        DataType::UInt64 => col.as_primitive::<UInt64Type>().value(i).to_string(),
        _ => str_at(col, i)?.to_string(),
    })
}

fn is_id_type(t: &DataType) -> bool {
    is_string(t) || t.is_integer()
}

/// A column of `like`'s string type holding `values`.
fn strings_like(like: &DataType, values: Vec<Option<String>>) -> ArrayRef {
    match like {
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from(values)),
        DataType::Utf8View => Arc::new(StringViewArray::from_iter(values)),
        _ => Arc::new(StringArray::from(values)),
    }
}

/// The columns `opts` reads, checked against the file's schema: the text column's
/// index, and the id column's.
fn columns(schema: &Schema, opts: &RecordOptions) -> Result<(usize, Option<usize>), String> {
    let find = |name: &str| {
        schema.index_of(name).map_err(|_| {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            format!("no \"{name}\" column (its columns: {})", names.join(", "))
        })
    };
    let text = find(&opts.text_field)?;
    let t = schema.field(text).data_type();
    if !is_string(t) {
        return Err(format!(
            "the \"{}\" column is {t}, not a string column",
            opts.text_field
        ));
    }
    let id = match &opts.id_field {
        None => None,
        Some(name) => {
            let i = find(name)?;
            let t = schema.field(i).data_type();
            if !is_id_type(t) {
                return Err(format!(
                    "the \"{name}\" column is {t}, not a string or an integer"
                ));
            }
            Some(i)
        }
    };
    Ok((text, id))
}

/// A Parquet file opened: its rows, schema, first column chunk's compression, its
/// key-value metadata but the Arrow schema (which the writer adds), and where the text
/// and id columns are in the schema.
struct Opened {
    rows: ParquetRecordBatchReader,
    schema: Arc<Schema>,
    compression: parquet::basic::Compression,
    kv: Vec<parquet::file::metadata::KeyValue>,
    text: usize,
    id: Option<usize>,
}

/// Open `path` for the columns `opts` names (checked), reading only those when
/// `only_those`, else every column.
fn open(path: &Path, opts: &RecordOptions, only_those: bool) -> Result<Opened, String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let b = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let schema = b.schema().clone();
    let (text, id) = columns(&schema, opts)?;
    let md = b.metadata();
    let compression = if md.num_row_groups() > 0 && md.row_group(0).num_columns() > 0 {
        md.row_group(0).column(0).compression()
    } else {
        parquet::basic::Compression::SNAPPY
    };
    let kv: Vec<_> = md
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|k| k.key != "ARROW:schema")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let b = if only_those {
        let mask = ProjectionMask::roots(b.parquet_schema(), [text].into_iter().chain(id));
        b.with_projection(mask)
    } else {
        b
    };
    let rows = b
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Opened {
        rows,
        schema,
        compression,
        kv,
        text,
        id,
    })
}

/// The rows of a Parquet file into its spool (see [`Spooler`]).
pub(super) fn spool(f: &RecordFile, opts: &RecordOptions, sp: &mut Spooler) -> std::io::Result<()> {
    let rows = match open(&f.path, opts, true) {
        Ok(o) => o.rows,
        Err(e) => {
            sp.broken(None, e);
            return Ok(());
        }
    };
    let mut base = 0u64;
    for batch in rows {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                sp.broken(Some(base), format!("cannot read on: {e}"));
                return Ok(());
            }
        };
        let bs = batch.schema();
        let tcol = batch.column(bs.index_of(&opts.text_field).expect("projected"));
        let icol = opts
            .id_field
            .as_ref()
            .map(|n| batch.column(bs.index_of(n).expect("projected")));
        for i in 0..batch.num_rows() {
            let position = base + i as u64;
            let Some(t) = str_at(tcol.as_ref(), i) else {
                sp.bad(
                    position,
                    format!("the \"{}\" field is null", opts.text_field),
                );
                continue;
            };
            let id = match icol {
                None => position.to_string(),
                Some(c) => match id_at(c.as_ref(), i) {
                    Some(id) => id,
                    None => {
                        let name = opts.id_field.as_deref().unwrap_or_default();
                        sp.bad(position, format!("the \"{name}\" field is null"));
                        continue;
                    }
                },
            };
            sp.record(position, t, &id)?;
        }
        base += batch.num_rows() as u64;
    }
    Ok(())
}

/// Write the rows of `f` back to `out` (see the module doc); `records` are the rows
/// that were read, `cleaned` their cleaned texts, `note` a record's annotation.
pub(super) fn write(
    f: &RecordFile,
    records: &[Spooled],
    opts: &RecordOptions,
    mode: RecordsOut,
    cleaned: &Cleaned,
    note: &mut dyn FnMut(&str, usize) -> Result<String, String>,
    out: &Path,
) -> Result<(), (Option<u64>, String)> {
    let Opened {
        rows,
        schema,
        compression,
        kv,
        text: text_col,
        id: id_col,
    } = open(&f.path, opts, false).map_err(|e| (None, e))?;
    let text_type = schema.field(text_col).data_type().clone();
    let out_schema = match mode {
        RecordsOut::Annotate => {
            let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
            fields.push(Arc::new(Field::new("zhclean", DataType::Utf8, true)));
            Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
        }
        _ => schema.clone(),
    };
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_key_value_metadata((!kv.is_empty()).then_some(kv))
        .build();
    let file = File::create(out).map_err(|e| (None, format!("{}: {e}", out.display())))?;
    let mut w = ArrowWriter::try_new(file, out_schema.clone(), Some(props))
        .map_err(|e| (None, e.to_string()))?;
    let mut next = 0usize;
    let mut base = 0u64;
    for batch in rows {
        let batch = batch.map_err(|e| (Some(base), format!("cannot read on: {e}")))?;
        let tcol = batch.column(text_col);
        let mut keep = Vec::with_capacity(batch.num_rows());
        let mut texts = Vec::with_capacity(batch.num_rows());
        let mut notes = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let position = base + i as u64;
            if records.get(next).is_none_or(|r| r.position != position) {
                // A row passed over when read (reported then).
                keep.push(false);
                texts.push(Some(String::new()));
                notes.push(None);
                continue;
            }
            let r = next;
            next += 1;
            let orig = str_at(tcol.as_ref(), i).unwrap_or_default();
            if xxhash_rust::xxh3::xxh3_64(orig.as_bytes()) != records[r].hash {
                return Err((Some(position), "file changed during the run".into()));
            }
            let text = cleaned.text(r, orig).map_err(|e| (None, e))?;
            let (t, n) = match (mode, text) {
                (RecordsOut::Annotate, _) => {
                    let id = match id_col {
                        Some(c) => id_at(batch.column(c).as_ref(), i).unwrap_or_default(),
                        None => position.to_string(),
                    };
                    (
                        Some(orig.to_string()),
                        Some(note(&id, r).map_err(|e| (None, e))?),
                    )
                }
                (_, Some(t)) => (Some(t), None),
                (RecordsOut::KeepEmpty, None) => (Some(String::new()), None),
                (RecordsOut::Clean, None) => (None, None),
            };
            keep.push(t.is_some());
            // A dropped row's text is never written, but the column may be declared
            // non-nullable, and the batch is checked before the filter drops it.
            texts.push(Some(t.unwrap_or_default()));
            notes.push(n);
        }
        base += batch.num_rows() as u64;
        let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
        if mode != RecordsOut::Annotate {
            cols[text_col] = strings_like(&text_type, texts);
        } else {
            cols.push(Arc::new(StringArray::from(notes)));
        }
        let b =
            RecordBatch::try_new(out_schema.clone(), cols).map_err(|e| (None, e.to_string()))?;
        let b = arrow_select::filter::filter_record_batch(&b, &BooleanArray::from(keep))
            .map_err(|e| (None, e.to_string()))?;
        if b.num_rows() > 0 {
            w.write(&b)
                .map_err(|e| (None, format!("{}: {e}", out.display())))?;
        }
    }
    let f = w
        .into_inner()
        .map_err(|e| (None, format!("{}: {e}", out.display())))?;
    f.sync_data()
        .map_err(|e| (None, format!("{}: {e}", out.display())))?;
    Ok(())
}

/// A Parquet shard of `id` and `text` string columns being written (zstd), a row group
/// of [`BATCH_ROWS`] rows at a time.
pub(super) struct Shard {
    w: ArrowWriter<File>,
    schema: Arc<Schema>,
    ids: Vec<String>,
    texts: Vec<String>,
}

impl Shard {
    pub(super) fn new(f: File) -> parquet::errors::Result<Shard> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("text", DataType::Utf8, false),
        ]));
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .build();
        Ok(Shard {
            w: ArrowWriter::try_new(f, schema.clone(), Some(props))?,
            schema,
            ids: Vec::new(),
            texts: Vec::new(),
        })
    }

    pub(super) fn push(&mut self, id: &str, text: &str) -> parquet::errors::Result<()> {
        self.ids.push(id.to_string());
        self.texts.push(text.to_string());
        if self.ids.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> parquet::errors::Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(std::mem::take(&mut self.ids))),
            Arc::new(StringArray::from(std::mem::take(&mut self.texts))),
        ];
        let b = RecordBatch::try_new(self.schema.clone(), cols)?;
        self.w.write(&b)
    }

    pub(super) fn finish(mut self) -> parquet::errors::Result<()> {
        self.flush()?;
        let f = self.w.into_inner()?;
        f.sync_data()?;
        Ok(())
    }
}
