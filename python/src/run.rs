//! The driver's side of a run: the staged output folder and the summary totals.

use super::*;

/// The output folder being written: `clean/` and `report/` appear on `commit`.
#[pyclass(module = "zhclean._core")]
pub(crate) struct Staging {
    inner: Mutex<Option<report::Staging>>,
    dir: PathBuf,
}

#[pymethods]
impl Staging {
    /// Check the engine's input and output folders and open a staging folder in OUT.
    #[new]
    fn new(engine: &Engine, force: bool) -> PyResult<Self> {
        let cfg = engine.core.config();
        let s =
            report::Staging::create(&cfg.input, &cfg.out, force || cfg.force).map_err(value_err)?;
        let dir = s.dir().to_path_buf();
        Ok(Staging {
            inner: Mutex::new(Some(s)),
            dir,
        })
    }

    #[getter]
    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }

    #[getter]
    fn clean_root(&self) -> PathBuf {
        self.dir.join("clean")
    }

    #[getter]
    fn report_root(&self) -> PathBuf {
        self.dir.join("report")
    }

    /// Move `clean/` and `report/` into place.
    fn commit(&self) -> PyResult<()> {
        let s = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("staging lock poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("already committed"))?;
        s.commit().map_err(value_err)
    }

    /// Remove the staging folder without committing.
    fn discard(&self) -> PyResult<()> {
        let s = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("staging lock poisoned"))?
            .take();
        drop(s);
        Ok(())
    }
}

/// `summary.json`, fed file by file in file order.
#[pyclass(module = "zhclean._core")]
pub(crate) struct Totals {
    inner: Mutex<Option<pipeline::Totals>>,
}

#[derive(serde::Deserialize)]
struct WalkState {
    skipped: Vec<Skipped>,
    failed: Vec<Skipped>,
    other_files: usize,
}

impl Totals {
    fn with<R>(&self, f: impl FnOnce(&mut pipeline::Totals) -> R) -> PyResult<R> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("totals lock poisoned"))?;
        let t = g
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("totals already finished"))?;
        Ok(f(t))
    }
}

#[pymethods]
impl Totals {
    /// Start from `Engine.walk`'s state JSON.
    #[new]
    fn new(walk_state: &str) -> PyResult<Self> {
        let w: WalkState = serde_json::from_str(walk_state).map_err(value_err)?;
        Ok(Totals {
            inner: Mutex::new(Some(pipeline::Totals::new(
                w.skipped,
                w.failed,
                w.other_files,
            ))),
        })
    }

    fn skipped(&self, file: String, reason: String) -> PyResult<()> {
        self.with(|t| t.skipped(Skipped::new(file, reason)))
    }

    fn failed(&self, file: String, reason: String) -> PyResult<()> {
        self.with(|t| t.failed(Skipped::new(file, reason)))
    }

    /// A record passed over or a record file broken, as `summary.json` lists it (the
    /// JSON `records_in` gives as its `failure`).
    fn failed_record(&self, failure: &str) -> PyResult<()> {
        let f: Skipped = serde_json::from_str(failure).map_err(value_err)?;
        self.with(|t| t.failed(f))
    }

    /// A written file: its `summary` (from `analyze`) and `counts` (from `write`).
    fn file(&self, summary: &str, counts: &str) -> PyResult<()> {
        let s: pipeline::FileSummary = serde_json::from_str(summary).map_err(value_err)?;
        let c: pipeline::FileCounts = serde_json::from_str(counts).map_err(value_err)?;
        self.with(|t| t.file(&s, &c))
    }

    /// `summary.json` bytes and the number of failures (files failed or with decoding
    /// errors). `group` is JSON `{candidate_pairs, verified_pairs, clusters:
    /// {paragraph, document}}`; `run` is JSON `{threads, wall_seconds, phase_seconds,
    /// stage_cpu_seconds}`.
    fn finish(&self, engine: &Engine, group: &str, run: &str) -> PyResult<(Vec<u8>, usize)> {
        let g: GroupCounts = serde_json::from_str(group).map_err(value_err)?;
        let r: RunInfo = serde_json::from_str(run).map_err(value_err)?;
        let t = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("totals lock poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("totals already finished"))?;
        let mut s = t.finish(&engine.core, &g, r);
        if let Some(rec) = &engine.records {
            s.options.records = Some(report::RecordsEcho::of(engine.core.config(), rec.format));
        }
        let failed = s.failed.len() + s.decode_errors.len();
        Ok((pipeline::summary_json(&s), failed))
    }
}
