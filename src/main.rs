//! The `zhclean` binary: parse flags, call the library, map the result to an exit
//! status (0 all good, 1 finished but some files failed, 2 usage or fatal error; a
//! broken pipe on stdout counts as success).

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;

use zhclean::boilerplate::Boilerplate;
use zhclean::cli::{
    Cli, Command, EvalArgs, Level, NormalizeArgs, ReviewArgs, SegmentArgs, SynthArgs,
};
use zhclean::placeholders::{self, Kind};
use zhclean::report::Summary;
use zhclean::segment::{self, Segmenter};
use zhclean::synth::{self, SynthOptions};
use zhclean::{decode, eval, pipeline};

// The per-paragraph work allocates many short-lived strings and vectors; mimalloc's
// thread-local free lists serve them faster than glibc malloc (measured in
// BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (v3's `mi_option_t` enum; the sys crate names no
/// constant for it). A test checks that this option holds v3's default purge delay.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Never hand freed memory back to the system during a run, unless the user's
/// `MIMALLOC_PURGE_DELAY` says otherwise. mimalloc backs its arenas with 2 MiB
/// transparent huge pages; purging a freed stretch of one (by default 1 s after the
/// free) and touching it again makes the kernel zero a whole 2 MiB page. A run frees
/// and allocates per paragraph all the time; on a 1 GB corpus, keeping the memory
/// saved 4 to 14 % of the wall time in four of five pairs of runs (BENCHMARKS.md,
/// session 9). A run is a batch job that ends soon after its peak, so what it keeps
/// costs little: 6 to 11 % more peak RSS.
fn keep_freed_memory() {
    // mimalloc reads every option from the environment when the process loads, so
    // `mi_option_set_default` would come too late; the user's setting is honoured here.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option; mimalloc reads option values at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// While a file of many megabytes is in hand, mimalloc hands freed memory back at once
/// (`on`), and keeps it again afterwards: such a file frees blocks of its own size,
/// which kept would add to the peak. The user's `MIMALLOC_PURGE_DELAY` decides instead
/// when set.
fn hand_back_freed_memory(on: bool) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets an option, which mimalloc reads at any time, and collects the
    // calling thread's heap and the arenas' free pages.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, if on { 0 } else { -1 });
        if !on {
            libmimalloc_sys::mi_collect(true);
        }
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    zhclean::release::set_hook(hand_back_freed_memory);
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Clean(args) => clean(*args),
        Command::Segment(args) => segment_cmd(args),
        Command::Normalize(args) => normalize_cmd(args),
        Command::Synth(args) => synth_cmd(args).map(|_| 0),
        Command::Eval(args) => eval_cmd(args).map(|_| 0),
        Command::Review(args) => review_cmd(args).map(|_| 0),
        Command::Index(zhclean::cli::IndexCommand::Build(args)) => index_build(*args),
        Command::Index(zhclean::cli::IndexCommand::Info(args)) => index_info(args).map(|_| 0),
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zhclean: {}", render_error(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: a library error already names
/// its cause in its own message (`path: No such file…`), so a cause whose text the line
/// holds already is not repeated.
fn render_error(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn clean(args: zhclean::cli::CleanArgs) -> Result<u8> {
    finish_run(args, pipeline::run)
}

fn index_build(args: zhclean::cli::CleanArgs) -> Result<u8> {
    finish_run(args, pipeline::build_index)
}

fn index_info(args: zhclean::cli::IndexInfoArgs) -> Result<()> {
    let info = zhclean::index::Index::info(&args.index, args.verify)?;
    let mut o = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut o, &info).map_err(io::Error::from)?;
        writeln!(o)?;
        return Ok(());
    }
    let p = &info.params;
    writeln!(
        o,
        "index       {} (format version {})",
        info.path, info.version
    )?;
    writeln!(
        o,
        "holds       {} runs, {} documents ({} of them removed as copies, kept as links), {} paragraphs ({} searched), {} probe keys",
        info.runs.len(),
        info.held.documents,
        info.held.documents_removed,
        info.held.paragraphs,
        info.held.paragraphs_searched,
        info.held.keys
    )?;
    writeln!(o, "size        {:.1} MB on disk", info.bytes as f64 / 1e6)?;
    writeln!(
        o,
        "parameters  --shingle {} --fold {} --num-perm {} --seed {} --bands {} --rows {} --threshold {} --doc-threshold {} --min-chars {} (key rules v{})",
        p.shingle, p.fold, p.num_perm, p.seed, p.bands, p.rows, p.threshold, p.doc_threshold, p.min_chars, p.key_rules
    )?;
    for r in &info.runs {
        writeln!(
            o,
            "run {:<7} {} documents ({} removed as copies), {} paragraphs, {:.1} MB, from {}",
            r.run,
            r.held.documents,
            r.held.documents_removed,
            r.held.paragraphs,
            r.bytes as f64 / 1e6,
            r.input.as_deref().unwrap_or("?")
        )?;
    }
    if args.verify {
        writeln!(
            o,
            "verified    every block and document matches its checksum"
        )?;
    }
    Ok(())
}

fn finish_run(
    args: zhclean::cli::CleanArgs,
    run: fn(&zhclean::Config) -> zhclean::Result<pipeline::Outcome>,
) -> Result<u8> {
    let quiet = args.quiet;
    let cfg = args.into_config();
    let outcome = run(&cfg)?;
    for d in &outcome.cleared {
        eprintln!(
            "zhclean: removed {}, left by a run that was interrupted",
            d.display()
        );
    }
    let s = &outcome.summary;
    for f in &s.failed {
        eprintln!("{f}");
    }
    for d in &s.decode_errors {
        eprintln!(
            "{}:{}: {} invalid byte(s) for {} (replaced with U+FFFD)",
            d.file,
            d.first_bad_line.unwrap_or(1),
            d.bad_bytes,
            d.encoding
        );
    }
    if !quiet {
        print_table(s, &cfg.out);
    }
    Ok(if outcome.failed > 0 { 1 } else { 0 })
}

fn print_table(s: &Summary, out: &Path) {
    let c = &s.counts;
    let kinds: Vec<String> = c
        .placeholders
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let rows = [
        (
            "files",
            format!(
                "{} processed, {} written, {} failed, {} skipped",
                c.files_processed, c.files_written, c.files_failed, c.files_skipped
            ),
        ),
        (
            "text",
            format!(
                "{:.1} MB, {} lines, {} documents, {} paragraphs",
                c.bytes as f64 / 1e6,
                c.lines,
                c.documents,
                c.paragraphs
            ),
        ),
        (
            "furniture",
            format!(
                "{} lines removed, {} blank lines",
                c.boilerplate_lines, c.empty_lines
            ),
        ),
        (
            "clusters",
            format!(
                "{} paragraph, {} document",
                c.clusters.paragraph, c.clusters.document
            ),
        ),
        (
            "removed",
            format!(
                "{} paragraphs as copies, {} documents ({} paragraphs)",
                c.removed_paragraphs.paragraph, c.removed_documents, c.removed_paragraphs.document
            ),
        ),
        ("masks", kinds.join(", ")),
        (
            "time",
            format!("{:.2} s on {} threads", s.run.wall_seconds, s.run.threads),
        ),
    ];
    let mut e = io::stderr().lock();
    for (k, v) in rows {
        let _ = writeln!(e, "{k:>10}  {v}");
    }
    if let Some(ix) = &s.index {
        let added = match &ix.added {
            Some(a) => format!(
                "; adds run {}: {} documents, {} paragraphs",
                a.run, a.held.documents, a.held.paragraphs
            ),
            None => String::new(),
        };
        let _ = writeln!(
            e,
            "{:>10}  {} ({} runs): removed {} paragraphs and {} documents as copies of indexed ones{added}",
            "index", ix.path, ix.runs, ix.removed_paragraphs, ix.removed_documents
        );
    }
    if !out.as_os_str().is_empty() {
        let _ = writeln!(
            e,
            "{:>10}  {}/clean, {}/report",
            "output",
            out.display(),
            out.display()
        );
    }
}

fn read_input(
    file: Option<&Path>,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Result<String> {
    let (bytes, name) = match file {
        None => {
            let mut b = Vec::new();
            io::stdin().read_to_end(&mut b).context("stdin")?;
            (b, "<stdin>".to_string())
        }
        Some(p) if p == Path::new("-") => return read_input(None, encoding),
        Some(p) => (
            std::fs::read(p).with_context(|| p.display().to_string())?,
            p.display().to_string(),
        ),
    };
    let d = decode::decode(&bytes, encoding).map_err(|_| anyhow::anyhow!("{name}: binary file"))?;
    if d.bad_bytes > 0 {
        eprintln!(
            "{name}:{}: {} invalid byte(s) for {} (replaced with U+FFFD)",
            d.first_bad_line.unwrap_or(1),
            d.bad_bytes,
            d.encoding
        );
    }
    Ok(d.text)
}

/// A text to segment or normalise, with its record's id when it is a record's.
type Text = (Option<String>, String);

/// The texts a `segment` or `normalize` reads: the file's own, or, for a JSON Lines or
/// Parquet file (or any file with `--text-field`), each record's text with its id (read
/// through a spool in the system's temporary folder). Records that cannot be read are
/// named on stderr, and counted.
fn read_texts(
    file: Option<&Path>,
    encoding: Option<&'static encoding_rs::Encoding>,
    text_field: Option<&str>,
) -> Result<(Vec<Text>, usize)> {
    use zhclean::records::{self, source::RecordOptions, source::Standalone, Format};
    let format = file.filter(|p| *p != Path::new("-")).and_then(|p| {
        let name = p.file_name()?.to_string_lossy().into_owned();
        Format::of(&name).or(text_field.map(|_| Format::Jsonl))
    });
    let (Some(format), Some(path)) = (format, file) else {
        return Ok((vec![(None, read_input(file, encoding)?)], 0));
    };
    if encoding.is_some() {
        anyhow::bail!("--encoding applies to text files; a record's text is UTF-8");
    }
    let opts = RecordOptions {
        text_field: text_field.unwrap_or("text").to_string(),
        id_field: None,
    };
    let standalone = Standalone::open(path, format, opts)?;
    let src = standalone.records();
    let w = zhclean::source::Source::list(src);
    for f in &w.failed {
        eprintln!("{f}");
    }
    let mut texts = Vec::with_capacity(w.sources.len());
    for u in &w.sources {
        let bytes = zhclean::source::Source::read(src, u).context("reading a record back")?;
        let id = records::split_name(&u.rel_path).1.map(str::to_string);
        texts.push((id, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok((texts, w.failed.len()))
}

/// `segment --level paragraphs --explain`: the layout, then each paragraph's line
/// range and text, and under it every decision about its lines and the next one.
fn explain_paragraphs(text: &str) -> Result<()> {
    let lines = zhclean::lines::split_lines(text);
    let furniture = Boilerplate::builtin().classify(&lines);
    let (_, paras, ex) = zhclean::structure::build_explained(&lines, &furniture, false, true);
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "# layout: {}", ex.layout)?;
    let mut d = ex.decisions.iter().peekable();
    // Parts searched apart are one paragraph here, as `clean/` writes them.
    for w in zhclean::parts::wholes(&paras) {
        let (p, last) = (&paras[w.start], &paras[w.end - 1]);
        let (a, b) = (lines[p.first].no, lines[last.last].no);
        writeln!(
            out,
            "lines {a}-{b}\t{}",
            zhclean::parts::whole_text(&paras[w])
        )?;
        while let Some(x) = d.next_if(|x| x.line <= last.last) {
            let verb = if x.why.joins() { "joined" } else { "apart" };
            let n = lines[x.line].no;
            writeln!(out, "\t{n}|{}\t{verb}: {}", n + 1, x.why)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn segment_cmd(args: SegmentArgs) -> Result<u8> {
    if args.explain && args.level != Level::Paragraphs {
        anyhow::bail!("--explain goes with --level paragraphs");
    }
    let (texts, bad) = read_texts(Some(&args.file), args.encoding, args.text_field.as_deref())?;
    let seg = (args.level == Level::Words).then(Segmenter::new);
    for (id, text) in &texts {
        if let Some(id) = id {
            let mut out = io::stdout().lock();
            writeln!(out, "# record {id}")?;
        }
        if args.explain {
            explain_paragraphs(text)?;
        } else {
            segment_text(text, &args, seg.as_ref())?;
        }
    }
    Ok(u8::from(bad > 0))
}

/// `segment` of one text (see [`segment_cmd`]).
fn segment_text(text: &str, args: &SegmentArgs, seg: Option<&Segmenter>) -> Result<()> {
    let prep = pipeline::prepare(text, &Boilerplate::builtin(), false);
    // A page-long paragraph is searched in parts; here it is one paragraph again.
    let wholes = zhclean::parts::wholes(&prep.paras);
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.level == Level::Documents {
        for d in &prep.docs {
            let (a, b) = (prep.lines[d.first].no, prep.lines[d.last].no);
            writeln!(
                out,
                "lines {a}-{b}\t{} paragraphs\t{}",
                wholes.iter().filter(|w| d.paras.contains(&w.start)).count(),
                d.title.as_deref().unwrap_or("-")
            )?;
        }
        out.flush()?;
        return Ok(());
    }
    for w in &wholes {
        let text = zhclean::parts::whole_text(&prep.paras[w.clone()]);
        match args.level {
            Level::Documents => unreachable!("handled above"),
            Level::Paragraphs => writeln!(out, "{text}")?,
            Level::Sentences => {
                for s in segment::sentences(&text) {
                    writeln!(out, "{s}")?;
                }
            }
            Level::Words => {
                let seg = seg.expect("segmenter built for words");
                for s in segment::sentences(&text) {
                    let words: Vec<String> = if args.tags {
                        seg.tagged(s, true)
                            .into_iter()
                            .map(|(w, t)| format!("{w}/{t}"))
                            .collect()
                    } else {
                        seg.words(s, true).into_iter().map(str::to_string).collect()
                    };
                    writeln!(out, "{}", words.join(" "))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct SpanOut<'a> {
    /// The record the line is in, for a record file.
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a str>,
    line: usize,
    start: usize,
    end: usize,
    text: &'a str,
    kind: Kind,
    replacement: String,
}

fn normalize_cmd(args: NormalizeArgs) -> Result<u8> {
    let (texts, bad) = read_texts(
        args.file.as_deref(),
        args.encoding,
        args.text_field.as_deref(),
    )?;
    let style = args.mask_style.into();
    let mut out = io::BufWriter::new(io::stdout().lock());
    for (id, text) in &texts {
        if let (Some(id), false) = (id, args.report) {
            writeln!(out, "# record {id}")?;
        }
        normalize_text(text, id.as_deref(), style, args.report, &mut out)?;
    }
    out.flush()?;
    Ok(u8::from(bad > 0))
}

/// `normalize` of one text, a record's when `record` names it (see [`normalize_cmd`]).
fn normalize_text(
    text: &str,
    record: Option<&str>,
    style: zhclean::MaskStyle,
    report: bool,
    out: &mut impl Write,
) -> Result<()> {
    for (i, line) in text.lines().enumerate() {
        let spans = placeholders::detect(line);
        if report {
            let chars: Vec<char> = line.chars().collect();
            for s in &spans {
                let t: String = chars[s.start..s.end].iter().collect();
                let replacement = placeholders::replacement(s.kind, &t, style)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|| t.clone());
                serde_json::to_writer(
                    &mut *out,
                    &SpanOut {
                        record,
                        line: i + 1,
                        start: s.start,
                        end: s.end,
                        text: &t,
                        kind: s.kind,
                        replacement,
                    },
                )?;
                writeln!(out)?;
            }
        } else {
            writeln!(out, "{}", placeholders::apply(line, &spans, style))?;
        }
    }
    Ok(())
}

fn synth_cmd(args: SynthArgs) -> Result<()> {
    let text = read_input(Some(&args.source), args.encoding)?;
    let opts = SynthOptions {
        seed: args.seed,
        docs: args.docs,
        size: args.size,
        truth: !args.no_truth,
        varied: args.varied,
        records: match args.format {
            zhclean::cli::SynthFormat::Text => None,
            zhclean::cli::SynthFormat::Jsonl => Some(zhclean::records::Format::Jsonl),
            zhclean::cli::SynthFormat::Parquet => Some(zhclean::records::Format::Parquet),
        },
    };
    let seg = Segmenter::new();
    let stats = synth::synth(&text, &seg, &opts, &args.out)?;
    eprintln!(
        "wrote {} {} ({} bytes): {} documents, {} paragraphs from {} origins, {} masks, \
         {} furniture lines{}",
        stats.files,
        if opts.records.is_some() {
            "records"
        } else {
            "files"
        },
        stats.bytes,
        stats.documents,
        stats.paragraphs,
        stats.origins,
        stats.masks,
        stats.furniture_lines,
        if opts.truth { "; truth.json" } else { "" }
    );
    Ok(())
}

fn review_cmd(args: ReviewArgs) -> Result<()> {
    let t = std::time::Instant::now();
    let w = zhclean::review::build(&zhclean::review::Options {
        out: args.out,
        input: args.input,
        sample: args.sample.map(|n| n.get()),
        seed: args.seed,
    })?;
    eprintln!(
        "wrote {} ({} pages, {} KiB; {} of {} clusters, {} of {} files) in {:.2} s",
        w.index.display(),
        w.pages,
        w.bytes.div_ceil(1024),
        w.clusters_shown,
        w.clusters,
        w.files_shown,
        w.files,
        t.elapsed().as_secs_f64()
    );
    if args.open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener).arg(&w.index).spawn() {
            eprintln!(
                "could not open it with {opener} ({e}): open {} yourself",
                w.index.display()
            );
        }
    }
    Ok(())
}

fn eval_cmd(args: EvalArgs) -> Result<()> {
    let truth = eval::read_truth(&args.truth)?;
    let mut scores = eval::eval(&truth, &args.report)?;
    let corpus = match &args.corpus {
        Some(c) => Some(c.clone()),
        None => args
            .truth
            .parent()
            .map(|d| d.join("corpus"))
            .filter(|c| c.is_dir()),
    };
    if let Some(c) = corpus {
        scores.units = eval::eval_units(&truth, &c)?;
    }
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &scores)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", eval::render(&scores))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option index is mimalloc v3's purge delay (its documented default is 1000 ms,
    /// and no neighbouring option defaults to that; the harness does not run `main`),
    /// and `keep_freed_memory` turns purging off unless the environment sets the delay.
    #[test]
    fn purge_delay_option_is_mimallocs() {
        let from_env = std::env::var("MIMALLOC_PURGE_DELAY").ok();
        // SAFETY: reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        for other in [MI_OPTION_PURGE_DELAY - 1, MI_OPTION_PURGE_DELAY + 1] {
            // SAFETY: reads an option.
            assert_ne!(unsafe { libmimalloc_sys::mi_option_get(other) }, 1000);
        }
        keep_freed_memory();
        // SAFETY: reads an option.
        let kept = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        match from_env {
            // The user's setting stands.
            Some(_) => assert_eq!(kept, delay),
            None => assert_eq!((delay, kept), (1000, -1)),
        }
    }
}
