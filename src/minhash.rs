//! The hashing core: MinHash signatures of shingle sets.
//!
//! Each shingle is hashed once to 32 bits (see `fingerprint`); permutation `i` maps a
//! shingle hash `x` to `((a_i · x + b_i) mod 2^64) >> 32`, the multiply-add-shift family
//! (2-independent for 32-bit keys, Dietzfelbinger 1996), with odd 64-bit `a_i` and
//! `b_i` drawn from the seed by splitmix64. The signature keeps the minimum of each.
//!
//! No I/O, no locks, no allocation per call: [`MinHasher::signature_into`] fills a
//! caller's buffer. The optimised kernel works on blocks of permutations held in
//! registers and is compiled for the widest vector unit the CPU has (AVX-512, AVX2,
//! baseline), chosen at run time; [`MinHasher::signature_reference`] is the plain
//! scalar loop every path is tested against.

/// Permutations processed together by the optimised kernel.
const BLOCK: usize = 16;

/// splitmix64: the seed expander for permutation parameters.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A family of `k` permutations.
#[derive(Clone, Debug)]
pub struct MinHasher {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    /// `num_perm` permutations drawn from `seed`.
    pub fn new(num_perm: usize, seed: u64) -> Self {
        let mut st = seed ^ 0x5A5A_1234_C0FF_EE00;
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            a.push(splitmix64(&mut st) | 1);
            b.push(splitmix64(&mut st));
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
                let h = (self.a[i].wrapping_mul(x as u64).wrapping_add(self.b[i]) >> 32) as u32;
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
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F (checked just above).
                unsafe { kernel_avx512(&self.a, &self.b, shingles, out) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { kernel_avx2(&self.a, &self.b, shingles, out) };
                return;
            }
        }
        kernel(&self.a, &self.b, shingles, out);
    }

    /// The portable optimised kernel (no run-time dispatch), for tests and benches.
    pub fn signature_portable(&self, shingles: &[u32], out: &mut [u32]) {
        assert_eq!(out.len(), self.a.len());
        kernel(&self.a, &self.b, shingles, out);
    }
}

/// Blocked kernel: each block of permutations stays in registers while the shingles
/// stream past, so the inner loop is a straight multiply-add-shift-min over lanes.
#[inline(always)]
fn kernel(a: &[u64], b: &[u64], shingles: &[u32], out: &mut [u32]) {
    let mut chunks_a = a.chunks_exact(BLOCK);
    let mut chunks_b = b.chunks_exact(BLOCK);
    let mut chunks_o = out.chunks_exact_mut(BLOCK);
    for ((ca, cb), co) in (&mut chunks_a).zip(&mut chunks_b).zip(&mut chunks_o) {
        let ca: &[u64; BLOCK] = ca.try_into().expect("block");
        let cb: &[u64; BLOCK] = cb.try_into().expect("block");
        let mut acc = [u32::MAX; BLOCK];
        for &x in shingles {
            let x = x as u64;
            for l in 0..BLOCK {
                let h = (ca[l].wrapping_mul(x).wrapping_add(cb[l]) >> 32) as u32;
                acc[l] = acc[l].min(h);
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
            m = m.min((ai.wrapping_mul(x as u64).wrapping_add(bi) >> 32) as u32);
        }
        *o = m;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn kernel_avx2(a: &[u64], b: &[u64], shingles: &[u32], out: &mut [u32]) {
    kernel(a, b, shingles, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn kernel_avx512(a: &[u64], b: &[u64], shingles: &[u32], out: &mut [u32]) {
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
            let mut p = vec![0; k];
            mh.signature_reference(&shingles, &mut r);
            mh.signature_into(&shingles, &mut o);
            mh.signature_portable(&shingles, &mut p);
            prop_assert_eq!(&r, &o);
            prop_assert_eq!(&r, &p);
        }
    }

    #[test]
    fn empty_set_is_all_max() {
        let mh = MinHasher::new(20, 7);
        let mut o = vec![0; 20];
        mh.signature_into(&[], &mut o);
        assert!(o.iter().all(|&v| v == u32::MAX));
    }

    /// The estimate is unbiased against exact Jaccard on random sets: mean error near 0
    /// and spread near the binomial sqrt(J(1-J)/k).
    #[test]
    fn estimates_are_unbiased() {
        let k = 128;
        let mh = MinHasher::new(k, 42);
        let mut st = 99u64;
        let (mut sum_err, mut sum_sq, trials) = (0.0f64, 0.0f64, 400);
        let (mut sa, mut sb) = (vec![0u32; k], vec![0u32; k]);
        for t in 0..trials {
            let common = 50 + (t % 150);
            let only = 10 + (t * 7) % 120;
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
        }
        let mean = sum_err / trials as f64;
        let sd = (sum_sq / trials as f64 - mean * mean).sqrt();
        assert!(mean.abs() < 0.01, "mean error {mean}");
        assert!(sd < 0.06, "spread {sd}");
    }
}
