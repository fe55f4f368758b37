//! Reading columns of Arrow batches as slices, and building columns.

use super::*;

pub(crate) fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

// ---- reading batches ----

pub(crate) fn column<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a ArrayRef> {
    b.column_by_name(name)
        .ok_or_else(|| value_err(format!("batch has no column '{name}'")))
}

pub(crate) fn no_nulls(a: &dyn Array, name: &str) -> PyResult<()> {
    if a.null_count() > 0 {
        return Err(value_err(format!("column '{name}' has nulls")));
    }
    Ok(())
}

pub(crate) fn prim<'a, P: arrow_array::ArrowPrimitiveType>(
    b: &'a RecordBatch,
    name: &str,
) -> PyResult<&'a [P::Native]> {
    let a = column(b, name)?;
    no_nulls(a, name)?;
    a.as_primitive_opt::<P>()
        .map(|p| p.values().as_ref())
        .ok_or_else(|| value_err(format!("column '{name}' must be {}", P::DATA_TYPE)))
}

pub(crate) fn u32s<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a [u32]> {
    prim::<UInt32Type>(b, name)
}

pub(crate) fn u64s<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a [u64]> {
    prim::<UInt64Type>(b, name)
}

pub(crate) fn f64s<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a [f64]> {
    prim::<Float64Type>(b, name)
}

pub(crate) fn bools<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a BooleanArray> {
    let a = column(b, name)?;
    no_nulls(a, name)?;
    a.as_boolean_opt()
        .ok_or_else(|| value_err(format!("column '{name}' must be bool")))
}

pub(crate) fn strs<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a StringArray> {
    let a = column(b, name)?;
    no_nulls(a, name)?;
    a.as_string_opt::<i32>()
        .ok_or_else(|| value_err(format!("column '{name}' must be utf8")))
}

/// A utf8 column that may hold nulls.
pub(crate) fn opt_strs<'a>(b: &'a RecordBatch, name: &str) -> PyResult<&'a StringArray> {
    column(b, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| value_err(format!("column '{name}' must be utf8")))
}

/// A `list<T>` column read row by row as slices (a null list reads as empty).
#[derive(Clone, Copy)]
pub(crate) struct Lists<'a, T> {
    offsets: &'a [i32],
    values: &'a [T],
}

impl<T> Lists<'_, T> {
    pub(crate) fn row(&self, i: usize) -> &[T] {
        &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

pub(crate) fn lists<'a, P: arrow_array::ArrowPrimitiveType>(
    b: &'a RecordBatch,
    name: &str,
) -> PyResult<Lists<'a, P::Native>> {
    let a = column(b, name)?;
    let l: &ListArray = a
        .as_list_opt::<i32>()
        .ok_or_else(|| value_err(format!("column '{name}' must be a list")))?;
    let values = l
        .values()
        .as_primitive_opt::<P>()
        .ok_or_else(|| value_err(format!("column '{name}' has the wrong item type")))?;
    no_nulls(values, name)?;
    // Offsets index the child array from its start; the child's own offset is already
    // applied by `values()`.
    Ok(Lists {
        offsets: l.value_offsets(),
        values: values.values().as_ref(),
    })
}

// ---- building batches ----

pub(crate) fn u32_col(v: Vec<u32>) -> ArrayRef {
    Arc::new(UInt32Array::from(v))
}

pub(crate) fn u64_col(v: Vec<u64>) -> ArrayRef {
    Arc::new(UInt64Array::from(v))
}

pub(crate) fn list_col<P: arrow_array::ArrowPrimitiveType>(
    rows: &[Option<&[P::Native]>],
    item: DataType,
) -> ArrayRef
where
    arrow_array::PrimitiveArray<P>: From<Vec<P::Native>>,
{
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    let mut values = Vec::new();
    offsets.push(0i32);
    for r in rows {
        values.extend_from_slice(r.unwrap_or(&[]));
        offsets.push(values.len() as i32);
    }
    let nulls = rows
        .iter()
        .any(|r| r.is_none())
        .then(|| NullBuffer::from(rows.iter().map(|r| r.is_some()).collect::<Vec<_>>()));
    Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(item, false)),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Arc::new(arrow_array::PrimitiveArray::<P>::from(values)),
        nulls,
    ))
}

/// A column type of an input batch.
#[derive(Clone, Copy)]
pub(crate) enum Col {
    U32,
    U64,
    F64,
    Bool,
    Str,
    ListU32,
    ListF64,
}

impl Col {
    fn data_type(self) -> DataType {
        let list = |t: DataType| DataType::List(Arc::new(Field::new_list_field(t, true)));
        match self {
            Col::U32 => DataType::UInt32,
            Col::U64 => DataType::UInt64,
            Col::F64 => DataType::Float64,
            Col::Bool => DataType::Boolean,
            Col::Str => DataType::Utf8,
            Col::ListU32 => list(DataType::UInt32),
            Col::ListF64 => list(DataType::Float64),
        }
    }
}

/// The input batches of the engine's methods, the one definition of them: the driver
/// casts Spark's columns to these (`Engine.inputs`) and the methods read them by these
/// names. See `docs/arrow-schemas.md`.
pub(crate) const INPUTS: &[(&str, Cols)] = {
    use Col::*;
    &[
        ("analyze", &[("file_idx", U32), ("rel_path", Str)]),
        ("write_back", &[("source", Str)]),
        (
            "records_in",
            &[
                ("rel_path", Str),
                ("position", U64),
                ("source", Str),
                ("id", Str),
            ],
        ),
        ("signatures", &[("tokens", ListU32), ("params_id", U64)]),
        ("bucket_pairs", &[("ids", ListU32)]),
        (
            "verify",
            &[
                ("a", U32),
                ("b", U32),
                ("a_tokens", ListU32),
                ("b_tokens", ListU32),
                ("a_whole_first", U32),
                ("a_whole_last", U32),
                ("a_whole", ListU32),
                ("b_whole_first", U32),
                ("b_whole_last", U32),
                ("b_whole", ListU32),
                ("params_id", U64),
            ],
        ),
        (
            "gap_cover",
            &[
                ("d", U32),
                ("e", U32),
                ("id", U32),
                ("group", U32),
                ("key_chars", U32),
                ("tokens", ListU32),
                ("near", ListU32),
                ("params_id", U64),
            ],
        ),
        (
            "paragraph_clusters",
            &[
                ("component", U32),
                ("id", U32),
                ("group", U32),
                ("masks", U32),
                ("key_chars", U32),
                ("in_removed_doc", Bool),
                ("tokens", ListU32),
                ("neighbours", ListU32),
                ("whole_first", U32),
                ("whole_last", U32),
                ("whole", ListU32),
                ("params_id", U64),
            ],
        ),
        (
            "document_clusters",
            &[
                ("component", U32),
                ("doc", U32),
                ("masks", U64),
                ("key_chars", U64),
                ("covers", ListU32),
                ("coverage", ListF64),
            ],
        ),
        (
            "records",
            &[
                ("cluster", U32),
                ("kept", U32),
                ("member", U32),
                ("level", Str),
                ("file", Str),
                ("first_line", U32),
                ("last_line", U32),
                ("similarity", F64),
                ("containment", Bool),
                ("traditional", Bool),
                ("first_col", U32),
                ("last_col", U32),
            ],
        ),
        (
            "write",
            &[
                ("file_idx", U32),
                ("rel_path", Str),
                ("hash", U64),
                ("encoding", Str),
                ("n_paras", U32),
                ("n_docs", U32),
                ("removed_paras", ListU32),
                ("removed_para_clusters", ListU32),
                ("removed_docs", ListU32),
                ("removed_doc_clusters", ListU32),
                ("params_id", U64),
            ],
        ),
    ]
};

/// An input batch's columns.
pub(crate) type Cols = &'static [(&'static str, Col)];

/// Inputs of the methods on records: a method's input of [`INPUTS`] and more columns.
pub(crate) const RECORD_INPUTS: &[(&str, &str, Cols)] = {
    use Col::*;
    &[
        ("analyze_records", "analyze", &[("source", Str)]),
        (
            "write_records",
            "write",
            &[("source", Str), ("clusters", Str)],
        ),
    ]
};

/// The input schema of `method` (or of one of [`RECORD_INPUTS`]).
pub(crate) fn input_schema(method: &str) -> PyResult<Schema> {
    let find = |name: &str| {
        INPUTS
            .iter()
            .find(|(m, _)| *m == name)
            .map(|(_, cols)| cols.to_vec())
            .ok_or_else(|| value_err(format!("no engine method named {method}")))
    };
    let cols = match RECORD_INPUTS.iter().find(|(m, _, _)| *m == method) {
        Some((_, base, more)) => {
            let mut cols = find(base)?;
            cols.extend_from_slice(more);
            cols
        }
        None => find(method)?,
    };
    Ok(Schema::new(
        cols.iter()
            .map(|(n, c)| Field::new(*n, c.data_type(), true))
            .collect::<Vec<_>>(),
    ))
}
