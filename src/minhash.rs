//! The hashing core: MinHash signatures of shingle sets.
//!
//! Each shingle is hashed once to 32 bits by xxh3 (see `fingerprint`), so the inputs
//! are already uniformly spread; permutation `i` maps a shingle hash `x` to
//! `a_i · x + b_i mod 2^32` with odd `a_i`, a bijection of `u32` whose parameters are
//! drawn from the seed by splitmix64. The signature keeps the minimum of each. One
//! multiply, one add and one min per lane: the loop is as cheap as a MinHash loop gets
//! and vectorises at every width. The test `estimates_are_unbiased` checks the price in
//! quality: mean error near zero and a spread equal to the binomial spread of truly
//! independent permutations.
//!
//! No I/O, no locks, no allocation per call: [`MinHasher::signature_into`] fills a
//! caller's buffer. The optimised kernel works on blocks of permutations held in
//! registers and is compiled for the widest vector unit the CPU has (AVX-512, AVX2,
//! baseline), chosen at run time; [`MinHasher::signature_reference`] is the plain
//! scalar loop every path is tested against.

/// Permutations processed together by the optimised kernel: 64 `u32` lanes are four
/// AVX-512 registers (or eight AVX2 ones) of multipliers, four of offsets and four of
/// running minima, so a block streams the shingles with no loads but the shingle.
const BLOCK: usize = 64;

/// splitmix64: the seed expander for permutation parameters.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One permutation of the 32-bit shingle hashes: `a·x + b mod 2^32`, `a` odd.
#[inline(always)]
fn permute(a: u32, b: u32, x: u32) -> u32 {
    a.wrapping_mul(x).wrapping_add(b)
}

/// A family of `k` permutations.
#[derive(Clone, Debug)]
pub struct MinHasher {
    a: Vec<u32>,
    b: Vec<u32>,
}

impl MinHasher {
    /// `num_perm` permutations drawn from `seed`.
    pub fn new(num_perm: usize, seed: u64) -> Self {
        let mut st = seed ^ 0x5A5A_1234_C0FF_EE00;
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            let v = splitmix64(&mut st);
            a.push((v >> 32) as u32 | 1);
            b.push(v as u32);
        }
        MinHasher { a, b }
    }

    /// Signature length.
    pub fn num_perm(&self) -> usize {
        self.a.len()
    }

    /// The plain scalar reference: the definition every optimised path must equal.
    pub fn signature_reference(&self, shingles: &[u32], out: &mut [u32]) {
        assert_eq!(out.len(), self.a.len());
        for (i, o) in out.iter_mut().enumerate() {
            let mut m = u32::MAX;
            for &x in shingles {
                let h = permute(self.a[i], self.b[i], x);
                if h < m {
                    m = h;
                }
            }
            *o = m;
        }
    }

    /// The signature of `shingles` into `out` (length `num_perm`), fastest path.
    ///
    /// ```
    /// use zhclean::minhash::{estimate, MinHasher};
    /// let mh = MinHasher::new(128, 1);
    /// let (a, b): (Vec<u32>, Vec<u32>) = ((0..100).collect(), (50..150).collect());
    /// let (mut sa, mut sb) = (vec![0; 128], vec![0; 128]);
    /// mh.signature_into(&a, &mut sa);
    /// mh.signature_into(&b, &mut sb);
    /// let j = estimate(&sa, &sb); // exact Jaccard is 50/150
    /// assert!((j - 1.0 / 3.0).abs() < 0.15, "{j}");
    /// ```
    pub fn signature_into(&self, shingles: &[u32], out: &mut [u32]) {
        assert_eq!(out.len(), self.a.len());
        // SAFETY: `Path::detect` only returns a path this CPU has.
        unsafe { self.run(Path::detect(), shingles, out) }
    }

    /// The signature through one chosen path; `None` when this CPU lacks it. For
    /// tests and benches, which check every path against the reference.
    pub fn signature_with(&self, path: Path, shingles: &[u32], out: &mut [u32]) -> Option<()> {
        assert_eq!(out.len(), self.a.len());
        if !path.available() {
            return None;
        }
        // SAFETY: `available` checked the CPU features of this path.
        unsafe { self.run(path, shingles, out) };
        Some(())
    }

    /// # Safety
    /// `path` must be available on this CPU ([`Path::available`]).
    unsafe fn run(&self, path: Path, shingles: &[u32], out: &mut [u32]) {
        match path {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller guarantees AVX-512F/BW/VL.
            Path::Avx512 => unsafe { kernel_avx512(&self.a, &self.b, shingles, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller guarantees AVX2.
            Path::Avx2 => unsafe { kernel_avx2(&self.a, &self.b, shingles, out) },
            _ => kernel(&self.a, &self.b, shingles, out),
        }
    }
}

/// The code paths of the signature kernel, widest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// 16 lanes per register (AVX-512F, BW, VL).
    Avx512,
    /// 8 lanes per register.
    Avx2,
    /// The blocked kernel compiled for the build's baseline target (SSE2 on x86-64).
    Portable,
}

impl Path {
    /// Every path, widest first.
    pub const ALL: [Path; 3] = [Path::Avx512, Path::Avx2, Path::Portable];

    /// Whether this CPU can run the path.
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            Path::Portable => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The widest path this CPU runs (feature detection is cached by std).
    pub fn detect() -> Path {
        Path::ALL
            .into_iter()
            .find(|p| p.available())
            .unwrap_or(Path::Portable)
    }

    /// Lower-case name, as in bench ids.
    pub fn name(self) -> &'static str {
        match self {
            Path::Avx512 => "avx512",
            Path::Avx2 => "avx2",
            Path::Portable => "portable",
        }
    }
}

/// Blocked kernel: each block of permutations stays in registers while the shingles
/// stream past, so the inner loop is a straight multiply-add-min over `u32` lanes that
/// the compiler turns into vector instructions of the target's width.
#[inline(always)]
fn kernel(a: &[u32], b: &[u32], shingles: &[u32], out: &mut [u32]) {
    let mut chunks_a = a.chunks_exact(BLOCK);
    let mut chunks_b = b.chunks_exact(BLOCK);
    let mut chunks_o = out.chunks_exact_mut(BLOCK);
    for ((ca, cb), co) in (&mut chunks_a).zip(&mut chunks_b).zip(&mut chunks_o) {
        let ca: &[u32; BLOCK] = ca.try_into().expect("block");
        let cb: &[u32; BLOCK] = cb.try_into().expect("block");
        let mut acc = [u32::MAX; BLOCK];
        for &x in shingles {
            for l in 0..BLOCK {
                acc[l] = acc[l].min(permute(ca[l], cb[l], x));
            }
        }
        co.copy_from_slice(&acc);
    }
    let (ra, rb, ro) = (
        chunks_a.remainder(),
        chunks_b.remainder(),
        chunks_o.into_remainder(),
    );
    for ((&ai, &bi), o) in ra.iter().zip(rb).zip(ro) {
        let mut m = u32::MAX;
        for &x in shingles {
            m = m.min(permute(ai, bi, x));
        }
        *o = m;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn kernel_avx2(a: &[u32], b: &[u32], shingles: &[u32], out: &mut [u32]) {
    kernel(a, b, shingles, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn kernel_avx512(a: &[u32], b: &[u32], shingles: &[u32], out: &mut [u32]) {
    kernel(a, b, shingles, out)
}

/// Estimated Jaccard similarity of two signatures: the share of equal slots.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let eq = a.iter().zip(b).filter(|(x, y)| x == y).count();
    eq as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_path_equals_the_reference(
            shingles in proptest::collection::vec(any::<u32>(), 0..300),
            k in 1usize..300,
            seed in any::<u64>(),
        ) {
            let mh = MinHasher::new(k, seed);
            let mut r = vec![0; k];
            let mut o = vec![0; k];
            mh.signature_reference(&shingles, &mut r);
            mh.signature_into(&shingles, &mut o);
            prop_assert_eq!(&r, &o);
            for path in Path::ALL {
                let mut p = vec![0; k];
                if mh.signature_with(path, &shingles, &mut p).is_some() {
                    prop_assert_eq!(&r, &p, "path {:?}", path);
                }
            }
        }
    }

    #[test]
    fn portable_path_is_always_there() {
        assert!(Path::Portable.available());
        assert!(Path::detect().available());
    }

    #[test]
    fn empty_set_is_all_max() {
        let mh = MinHasher::new(20, 7);
        let mut o = vec![0; 20];
        mh.signature_into(&[], &mut o);
        assert!(o.iter().all(|&v| v == u32::MAX));
    }

    /// The estimate is unbiased against exact Jaccard on random sets, and its spread is
    /// the binomial `sqrt(J(1-J)/k)` of independent permutations (an affine family with
    /// correlated permutations would show a wider spread).
    #[test]
    fn estimates_are_unbiased() {
        for k in [64usize, 128, 256] {
            let mh = MinHasher::new(k, 42);
            let mut st = 99u64 + k as u64;
            let trials = 2000;
            let (mut sum_err, mut sum_sq, mut sum_var) = (0.0f64, 0.0f64, 0.0f64);
            let (mut sa, mut sb) = (vec![0u32; k], vec![0u32; k]);
            for t in 0..trials {
                let common = 20 + (t % 150);
                let only = 5 + (t * 7) % 120;
                let mut a = Vec::new();
                let mut b = Vec::new();
                for _ in 0..common {
                    let v = splitmix64(&mut st) as u32;
                    a.push(v);
                    b.push(v);
                }
                for _ in 0..only {
                    a.push(splitmix64(&mut st) as u32);
                    b.push(splitmix64(&mut st) as u32);
                }
                let exact = common as f64 / (common + 2 * only) as f64;
                mh.signature_into(&a, &mut sa);
                mh.signature_into(&b, &mut sb);
                let err = estimate(&sa, &sb) - exact;
                sum_err += err;
                sum_sq += err * err;
                sum_var += exact * (1.0 - exact) / k as f64;
            }
            let mean = sum_err / trials as f64;
            let sd = (sum_sq / trials as f64).sqrt();
            let binomial = (sum_var / trials as f64).sqrt();
            eprintln!("k={k}: mean error {mean:+.5}, spread {sd:.5}, binomial {binomial:.5}");
            // The mean of 2000 errors has a standard error near binomial/45.
            assert!(
                mean.abs() < 4.0 * binomial / (trials as f64).sqrt(),
                "k={k} mean {mean}"
            );
            assert!(
                sd < 1.1 * binomial && sd > 0.9 * binomial,
                "k={k} spread {sd} vs {binomial}"
            );
        }
    }
}
