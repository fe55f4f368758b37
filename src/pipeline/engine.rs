//! [`Engine`], the shared per-process context (rules, jieba, hasher, memos), and the
//! analyze phase of one file: read, decode, prepare, fingerprint.

use super::*;

/// Everything the per-file and group work needs, built once per process from a
/// [`Config`]: the local run and every worker of a distributed one build the same.
pub struct Engine {
    pub(super) cfg: Config,
    pub(super) boiler: Boilerplate,
    /// jieba, when the shingles or the folding need words; loaded on first use (see
    /// [`Engine::new_deferred`]).
    /// The options need jieba's words ([`crate::segment::shared`]).
    pub(super) seg: bool,
    pub(super) hasher: MinHasher,
    pub(super) bands: usize,
    pub(super) rows: usize,
    /// What a run learns and spends as it goes; the fields above are fixed once built.
    pub(super) state: RunState,
}

/// The part of an [`Engine`] that a run changes as it goes: memos of what it has seen
/// (caches of deterministic results: they change the time a run takes, never its
/// outputs) and the memory budgets for what the analyze phase keeps for the write phase.
/// A [`super::Cleaner`] starts each run from [`RunState::reset`].
pub(super) struct RunState {
    /// Fingerprints by xxh3-128 of the normalised paragraph text, so a paragraph that
    /// recurs verbatim in the corpus (the same speech posted again and again) is
    /// segmented and hashed once (`None`: off, in tests).
    pub(super) memo: Option<Memo<Fingerprinted>>,
    /// jieba's words of the clauses seen so far, so an edited copy of a paragraph is
    /// segmented only where it differs (`None`: off, in tests).
    pub(super) word_memo: Option<WordMemo>,
    /// Bytes of [`Prepared`] files the analyze phase may still keep for the write phase.
    pub(super) keep_left: AtomicU64,
    /// Bytes of [`Marks`] of other files it may still keep.
    pub(super) marks_left: AtomicU64,
}

impl RunState {
    fn new() -> RunState {
        RunState {
            memo: Some(Memo::new(MEMO_SHARDS, MEMO_BYTES)),
            word_memo: Some(WordMemo::new(MEMO_SHARDS, WORD_MEMO_BYTES)),
            keep_left: AtomicU64::new(0),
            marks_left: AtomicU64::new(0),
        }
    }

    /// As a new run finds it: empty memos, no budgets.
    pub(super) fn reset(&self) {
        self.clear_memo();
        self.keep_left.store(0, Ordering::Relaxed);
        self.marks_left.store(0, Ordering::Relaxed);
    }

    fn clear_memo(&self) {
        if let Some(m) = &self.memo {
            m.clear();
        }
        if let Some(m) = &self.word_memo {
            m.clear();
        }
    }
}

/// Memory for files' text stages kept from the analyze phase for the write phase, so
/// a small or middling corpus is not read and prepared twice (`--spill-budget` sets it
/// too; `0` keeps none). Whatever is kept, the outputs are the same.
pub const PREPARED_MEMORY_BUDGET: u64 = 128 << 20;

/// Memory for the [`Marks`] of files whose text stages are not kept whole (8 bytes a
/// mask, 2 a line and a paragraph: the 1 GB benchmark corpus, 8 million masks, needs
/// about 100 MiB). `--spill-budget` sets it too.
pub const MARKS_MEMORY_BUDGET: u64 = 256 << 20;

/// What fingerprinting a normalised paragraph gives: its key facts, and when it is
/// searched its key tokens and band keys.
pub(super) struct Fingerprinted {
    pub(super) key: KeyFacts,
    pub(super) tokens: Box<[u32]>,
    pub(super) band_keys: Box<[u64]>,
}

/// Shards of the paragraph memo and of the word memo.
pub(super) const MEMO_SHARDS: usize = 16;
/// Memory of the paragraph memo (about 600 bytes a searched paragraph).
pub(super) const MEMO_BYTES: usize = 48 << 20;
/// Memory of the word memo (about 80 bytes a clause).
pub(super) const WORD_MEMO_BYTES: usize = 32 << 20;

/// A file read, decoded and prepared, waiting for jieba.
pub(super) struct ReadFile {
    /// The read and its decoding (the text itself dropped: `prep` holds it as lines).
    pub(super) read: ReadBytes,
    pub(super) prep: Prepared,
    pub(super) stage_ns: StageNs,
}

/// A part of a paragraph searched in parts carries the whole's keys in every this-many
/// bands ([`Engine::share_whole_keys`]).
pub(super) const WHOLE_BAND_EVERY: usize = 2;
/// Most searched parts a paragraph may have for its parts to share its keys: the parts
/// of one paragraph are candidates of each other through them, and a paragraph of many
/// parts (a page-long one) would fill its parts' partner lists with its own parts. A
/// copy written whole is as long, and cut in the same places, anyway.
pub(super) const WHOLE_MAX_PARTS: usize = 3;

/// Per-thread scratch buffers.
#[derive(Default)]
pub struct Scratch {
    pub(super) fp: fingerprint::Scratch,
    pub(super) norm: String,
    pub(super) shingles: Vec<u32>,
    pub(super) sig: Vec<u32>,
}

pub(super) fn ns(t: Instant) -> u64 {
    t.elapsed().as_nanos() as u64
}

/// A file read and decoded, with the xxh3 and length of its bytes.
pub(super) struct ReadBytes {
    pub(super) hash: u64,
    pub(super) len: u64,
    pub(super) dec: Decoded,
}

pub(super) fn read_decode(
    input: &dyn Source,
    src: &Unit,
    forced: Option<&'static encoding_rs::Encoding>,
    stage_ns: &mut StageNs,
) -> std::result::Result<ReadBytes, FileError> {
    let (bytes, read_ns) = prefetch::timed(|| input.read(src));
    stage_ns[Stage::Read] += read_ns;
    decode_read(src, bytes, forced, stage_ns)
}

/// [`read_decode`] once the file is read (here or ahead, see [`prefetch`]).
pub(super) fn decode_read(
    src: &Unit,
    bytes: std::io::Result<Vec<u8>>,
    forced: Option<&'static encoding_rs::Encoding>,
    stage_ns: &mut StageNs,
) -> std::result::Result<ReadBytes, FileError> {
    let error = |kind| FileError {
        file: src.rel_path.clone(),
        kind,
    };
    let bytes = bytes.map_err(|e| error(FileErrorKind::Read(e.to_string())))?;
    let t = Instant::now();
    let (hash, len) = (xxh3_64(&bytes), bytes.len() as u64);
    let dec = decode::decode_owned(bytes, forced)
        .map_err(|NotText::Binary| error(FileErrorKind::Binary))?;
    stage_ns[Stage::Decode] += ns(t);
    Ok(ReadBytes { hash, len, dec })
}

impl Engine {
    /// Check `cfg` and build the shared context (boilerplate rules, jieba, hashers).
    pub fn new(cfg: &Config) -> Result<Engine> {
        let engine = Engine::new_deferred(cfg)?;
        engine.segmenter();
        Ok(engine)
    }

    /// [`Engine::new`] without loading jieba's dictionary (about 0.2 s), so the caller
    /// can load it ([`Engine::segmenter`]) while other work goes on; whatever needs it
    /// first waits for it.
    pub fn new_deferred(cfg: &Config) -> Result<Engine> {
        let (bands, rows) = cfg.validate()?;
        let boiler = match &cfg.boilerplate_rules {
            Some(p) => Boilerplate::with_user_rules(p)?,
            None => Boilerplate::builtin(),
        };
        let seg = matches!(cfg.shingle, ShingleKind::Word(_)) || cfg.fold == Fold::Entities;
        Ok(Engine {
            cfg: cfg.clone(),
            boiler,
            seg,
            hasher: MinHasher::new(cfg.num_perm, cfg.seed),
            bands,
            rows,
            state: RunState::new(),
        })
    }

    /// Forget the paragraphs and clauses seen so far (their memory is wanted
    /// elsewhere).
    pub fn clear_memo(&self) {
        self.state.clear_memo();
    }

    /// Let the analyze phase keep up to `bytes` of prepared files in their facts for
    /// the write phase ([`Engine::write_prepared`]), and up to `marks` bytes of the
    /// [`Marks`] of the others; none by default.
    pub fn keep_prepared(&self, bytes: u64, marks: u64) {
        self.state.keep_left.store(bytes, Ordering::Relaxed);
        self.state.marks_left.store(marks, Ordering::Relaxed);
    }

    /// jieba, loaded now if it was not yet (`None` when the options need no words).
    pub fn segmenter(&self) -> Option<&Segmenter> {
        self.seg.then(crate::segment::shared)
    }

    /// Is jieba loaded, or not needed?
    pub(super) fn segmenter_ready(&self) -> bool {
        !self.seg || crate::segment::shared_ready()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// LSH bands × rows in force.
    /// Append the band keys of a paragraph's shingles (`sig` is scratch).
    pub(super) fn band_keys_of_shingles(
        &self,
        shingles: &[u32],
        sig: &mut Vec<u32>,
        out: &mut Vec<u64>,
    ) {
        sig.resize(self.hasher.num_perm(), 0);
        self.hasher.signature_into(shingles, sig);
        for b in 0..self.bands {
            out.push(lsh::band_key(&sig[b * self.rows..(b + 1) * self.rows], b));
        }
    }

    /// Append the band keys of a paragraph's key tokens (an indexed paragraph's, which
    /// the index keeps instead of its band keys: they are recomputed exactly).
    pub(super) fn band_keys_of_tokens(&self, tokens: &[u32], sc: &mut Scratch, out: &mut Vec<u64>) {
        fingerprint::shingle_hashes(tokens, self.cfg.shingle.size(), &mut sc.shingles);
        self.band_keys_of_shingles(&sc.shingles, &mut sc.sig, out);
    }

    /// Give each searched part of a paragraph written as one but searched in parts (one
    /// glued at a full line that ends a sentence, or a page-long one), when it has at most
    /// [`WHOLE_MAX_PARTS`] of them, the band keys of the whole paragraph in every
    /// [`WHOLE_BAND_EVERY`]th band, so a copy
    /// written whole is a candidate of its parts (which share too few shingles with it
    /// for its own bands), and containment then decides. `paras` gives, in order, each
    /// paragraph's glued flag (it goes on in the next) and its key tokens (`None` when it
    /// is not searched); `keys` holds the searched ones' band keys in that order. The
    /// same for a run's files and for the index's documents, so both search alike.
    pub(super) fn share_whole_keys<'a>(
        &self,
        paras: impl Iterator<Item = (bool, Option<&'a [u32]>)>,
        keys: &mut [u64],
        sc: &mut Scratch,
    ) {
        let bands = self.bands;
        let (mut whole, mut parts): (Vec<u32>, Vec<usize>) = (Vec::new(), Vec::new());
        let mut at = 0;
        let mut whole_keys = Vec::with_capacity(bands);
        for (glued, tokens) in paras {
            if let Some(t) = tokens {
                whole.extend_from_slice(t);
                parts.push(at);
                at += bands;
            }
            if glued {
                continue;
            }
            if (2..=WHOLE_MAX_PARTS).contains(&parts.len()) {
                whole_keys.clear();
                self.band_keys_of_tokens(&whole, sc, &mut whole_keys);
                for &o in &parts {
                    for b in (WHOLE_BAND_EVERY - 1..bands).step_by(WHOLE_BAND_EVERY) {
                        keys[o + b] = whole_keys[b];
                    }
                }
            }
            whole.clear();
            parts.clear();
        }
    }

    pub fn bands_rows(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    pub fn boilerplate(&self) -> &Boilerplate {
        &self.boiler
    }

    /// The MinHash signature of a sorted shingle set (for callers that keep signatures).
    pub fn signature(&self, shingles: &[u32], sig: &mut Vec<u32>) {
        sig.resize(self.hasher.num_perm(), 0);
        self.hasher.signature_into(shingles, sig);
    }

    /// Read, decode and prepare one file, and fingerprint its paragraphs.
    pub fn analyze(&self, input: &dyn Source, src: &Unit, sc: &mut Scratch) -> Analyzed {
        self.finish_analysis(src, self.read_prepare(input, src), sc)
    }

    /// [`Engine::analyze`] after [`Engine::read_prepare`].
    pub(super) fn finish_analysis(
        &self,
        src: &Unit,
        read: std::result::Result<ReadFile, Analyzed>,
        sc: &mut Scratch,
    ) -> Analyzed {
        match read {
            Ok(r) => self.fingerprint_file(src, r, sc),
            Err(a) => a,
        }
    }

    /// The part of [`Engine::analyze`] that needs no jieba: read, decode, prepare.
    pub(super) fn read_prepare(
        &self,
        input: &dyn Source,
        src: &Unit,
    ) -> std::result::Result<ReadFile, Analyzed> {
        let (bytes, read_ns) = prefetch::timed(|| input.read(src));
        self.prepare_read(src, bytes, read_ns)
    }

    /// [`Engine::read_prepare`] of a file already read (`read_ns`: what that took).
    pub(super) fn prepare_read(
        &self,
        src: &Unit,
        bytes: std::io::Result<Vec<u8>>,
        read_ns: u64,
    ) -> std::result::Result<ReadFile, Analyzed> {
        let mut stage_ns = StageNs::default();
        stage_ns[Stage::Read] = read_ns;
        let _big = release::Big::new(bytes.as_ref().map_or(0, |b| b.len() as u64));
        let mut read =
            decode_read(src, bytes, self.cfg.encoding, &mut stage_ns).map_err(Analyzed::from)?;
        let t = Instant::now();
        let lines = split_lines(&std::mem::take(&mut read.dec.text));
        let prep = prepare_lines(lines, &self.boiler, self.cfg.keep_boilerplate);
        stage_ns[Stage::TextStages] += ns(t);
        Ok(ReadFile {
            read,
            prep,
            stage_ns,
        })
    }

    /// What of `prep` to keep for the write phase, within the budgets left. Marks are
    /// made only once their budget has room for them.
    pub(super) fn keep(&self, prep: Prepared) -> Option<Kept> {
        let prep = prep.for_writing();
        if take_budget(&self.state.keep_left, prep.heap_bytes()) {
            return Some(Kept::Prepared(Box::new(prep)));
        }
        let spans = prep.spans.iter().map(Vec::len).sum();
        let size = Marks::bytes(prep.furniture.len(), spans, prep.paras.len());
        if !take_budget(&self.state.marks_left, size) {
            return None;
        }
        let marks = Marks::of(&prep);
        if marks.is_none() {
            self.state.marks_left.fetch_add(size, Ordering::Relaxed);
        }
        marks.map(|m| Kept::Marks(Box::new(m)))
    }

    /// The rest of [`Engine::analyze`]: segment, fingerprint and hash the paragraphs.
    pub(super) fn fingerprint_file(&self, src: &Unit, r: ReadFile, sc: &mut Scratch) -> Analyzed {
        let ReadFile {
            read: r,
            mut stage_ns,
            prep,
        } = r;
        let _big = release::Big::new(r.len);
        let dec = &r.dec;
        let Prepared {
            lines,
            docs,
            paras,
            spans: para_spans,
            ..
        } = &prep;

        let mut para_doc = vec![0u32; paras.len()];
        for (d, doc) in docs.iter().enumerate() {
            for p in doc.paras.clone() {
                para_doc[p] = d as u32;
            }
        }
        let part_cols = parts::cols(paras, lines);
        let fact = |pi: usize, key, script, tokens| ParaFacts {
            doc: para_doc[pi],
            lines: [lines[paras[pi].first].no, lines[paras[pi].last].no],
            cols: part_cols[pi],
            glued: paras[pi].glued,
            masks: para_spans[pi].len() as u32,
            key,
            script,
            tokens,
        };
        let k = self.hasher.num_perm();
        sc.sig.resize(k, 0);
        let mut facts = Vec::with_capacity(paras.len());
        let mut band_keys = Vec::new();
        let mut file_tokens: Vec<u32> = Vec::new();
        for (pi, p) in paras.iter().enumerate() {
            let t = Instant::now();
            let spans = &para_spans[pi];
            let seen = if self.cfg.fold == Fold::None || spans.is_empty() {
                // Nothing to slot (or no slotting): the text as it is.
                fingerprint::normalize_into(&p.text, &mut sc.norm)
            } else {
                let slotted = placeholders::slotted(&p.text, spans);
                fingerprint::normalize_into(&slotted, &mut sc.norm)
            };
            let script = seen.script();
            stage_ns[Stage::Placeholders] += ns(t);
            let text_hash = xxh3_128(sc.norm.as_bytes());
            let (tokens_at, keys_at) = (file_tokens.len(), band_keys.len());
            if let Some(key) = self.state.memo.as_ref().and_then(|m| {
                m.get(text_hash, |f| {
                    file_tokens.extend_from_slice(&f.tokens);
                    band_keys.extend_from_slice(&f.band_keys);
                    f.key
                })
            }) {
                let tokens = [tokens_at as u32, (file_tokens.len() - tokens_at) as u32];
                facts.push(fact(pi, key, script, tokens));
                continue;
            }
            let t = Instant::now();
            let mut words: Vec<(&str, &str)> = Vec::new();
            match self.segmenter() {
                Some(seg) => seg.classed(
                    &sc.norm,
                    self.cfg.fold == Fold::Entities,
                    self.state.word_memo.as_ref(),
                    &mut words,
                ),
                None => words.push((sc.norm.as_str(), "")),
            }
            stage_ns[Stage::Segment] += ns(t);
            let t = Instant::now();
            let key = fingerprint::key_tokens(
                &words,
                self.cfg.fold,
                matches!(self.cfg.shingle, ShingleKind::Char(_)),
                &mut sc.fp,
            );
            stage_ns[Stage::Fingerprint] += ns(t);
            let mut tokens = [file_tokens.len() as u32, 0];
            if key.searched(self.cfg.min_chars) {
                // Only a searched paragraph needs shingles, and MinHash no sorted set.
                let t = Instant::now();
                let n = self.cfg.shingle.size();
                fingerprint::shingle_hashes(&sc.fp.tokens, n, &mut sc.shingles);
                stage_ns[Stage::Fingerprint] += ns(t);
                let t = Instant::now();
                self.band_keys_of_shingles(&sc.shingles, &mut sc.sig, &mut band_keys);
                file_tokens.extend_from_slice(&sc.fp.tokens);
                tokens[1] = sc.fp.tokens.len() as u32;
                stage_ns[Stage::Minhash] += ns(t);
            }
            if let Some(m) = &self.state.memo {
                let (tokens, band_keys) = (&file_tokens[tokens_at..], &band_keys[keys_at..]);
                m.put(
                    text_hash,
                    Fingerprinted {
                        key,
                        tokens: tokens.into(),
                        band_keys: band_keys.into(),
                    },
                    64 + 4 * tokens.len() + 8 * band_keys.len(),
                );
            }
            facts.push(fact(pi, key, script, tokens));
        }
        let min_chars = self.cfg.min_chars;
        self.share_whole_keys(
            facts.iter().map(|f| {
                let t = f.tokens.map(|x| x as usize);
                let searched = f.key.searched(min_chars);
                (f.glued, searched.then(|| &file_tokens[t[0]..t[0] + t[1]]))
            }),
            &mut band_keys,
            sc,
        );
        // Pushed one at a time, the vectors may hold up to twice their length.
        band_keys.shrink_to_fit();
        file_tokens.shrink_to_fit();
        Analyzed::Done(Box::new(AnalyzedFile {
            facts: FileFacts {
                rel_path: src.rel_path.clone(),
                hash: r.hash,
                bytes: r.len,
                encoding: dec.encoding,
                decode_issue: (dec.bad_bytes > 0).then(|| DecodeIssue {
                    file: src.rel_path.clone(),
                    encoding: dec.encoding.to_string(),
                    bad_bytes: dec.bad_bytes,
                    first_bad_line: dec.first_bad_line,
                }),
                n_lines: lines.len(),
                docs: docs
                    .iter()
                    .map(|d| {
                        let trad = d
                            .paras
                            .clone()
                            .filter(|&p| facts[p].script == script::Script::Traditional)
                            .count();
                        DocFacts {
                            lines: [lines[d.first].no, lines[d.last].no],
                            script: script::Script::of_counts(
                                trad as u32,
                                (d.paras.len() - trad) as u32,
                            ),
                        }
                    })
                    .collect(),
                paras: facts,
                tokens: FileTokens::Memory(file_tokens),
                stage_ns,
            },
            band_keys: FileKeys::Memory(band_keys),
            kept: self.keep(prep),
        }))
    }
}
