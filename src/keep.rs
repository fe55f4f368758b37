//! The keep stage: which copy of a group stays, by policy.

use std::cmp::Reverse;

use crate::config::KeepPolicy;

/// What the policy looks at for one copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Position in sorted path-then-line order (smaller is first).
    pub order: u32,
    /// Masked placeholders in the copy.
    pub masks: u32,
    /// Key characters of the copy.
    pub key_chars: u32,
}

/// Sort key: smaller is better.
pub fn rank(policy: KeepPolicy, c: &Copy) -> (u32, Reverse<u32>, u32) {
    match policy {
        KeepPolicy::Best => (c.masks, Reverse(c.key_chars), c.order),
        KeepPolicy::Longest => (0, Reverse(c.key_chars), c.order),
        KeepPolicy::First => (0, Reverse(0), c.order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let a = Copy {
            order: 0,
            masks: 3,
            key_chars: 100,
        };
        let b = Copy {
            order: 1,
            masks: 0,
            key_chars: 90,
        };
        let c = Copy {
            order: 2,
            masks: 0,
            key_chars: 95,
        };
        let best = |p| {
            let mut v = [a, b, c];
            v.sort_by_key(|x| rank(p, x));
            v[0].order
        };
        assert_eq!(best(KeepPolicy::Best), 2);
        assert_eq!(best(KeepPolicy::Longest), 0);
        assert_eq!(best(KeepPolicy::First), 0);
    }
}
