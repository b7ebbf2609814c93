//! SHA-256 of four messages at once, each fitting one 64-byte block (<= 55 bytes: nearly every
//! normalized PII value). Written here because sha2 hashes one message at a time, and four
//! lanes in wasm SIMD measured ~2x sha2 per message in wasm (README "Size and speed"). The 64
//! rounds are straight-line code on eight locals and a 16-word schedule held in locals.
//!
//! One generic round function serves `[u32; 4]` (four messages at once, portable: native builds
//! and tests run the lane logic) and, in wasm, `v128` (the same four lanes in wasm SIMD). The
//! same rounds on one `u32` measured no faster than sha2's soft backend in wasm, so a lone
//! message goes to sha2 (hash.rs), as does everything else (HMAC, longer messages).

/// Bytes of the block left for the message when it is to fit in one block (the rest is the
/// `0x80` marker and the 8-byte bit length).
pub const ONE_BLOCK_MAX: usize = 55;

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
pub const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The one padded block of a message of at most `ONE_BLOCK_MAX` bytes (longer ones are cut
/// there: callers check the length first): the message, `0x80`, zeros, its length in bits.
pub fn padded_block(bytes: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    let len = bytes.len().min(ONE_BLOCK_MAX);
    block[..len].copy_from_slice(&bytes[..len]);
    block[len] = 0x80;
    block[56..].copy_from_slice(&((len as u64) * 8).to_be_bytes());
    block
}

/// `padded_block` as 16 big-endian words. Not inlined: four inlined copies measured 0.8 KB more
/// wasm for no speed.
#[inline(never)]
fn padded_words(bytes: &[u8]) -> [u32; 16] {
    let block = padded_block(bytes);
    let mut words = [0u32; 16];
    for (word, chunk) in words.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    words
}

fn state_bytes(state: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-256 of four messages of at most `ONE_BLOCK_MAX` bytes each, hashed side by side (wasm
/// SIMD in wasm, four `u32` lanes elsewhere).
pub fn digest_four(messages: [&[u8]; 4]) -> [[u8; 32]; 4] {
    let words = messages.map(padded_words);
    let states = lanes::compress_four(&words);
    states.map(state_bytes)
}

/// What the rounds need from a word: one `u32`, or one `u32` per lane.
trait Word: Copy {
    fn splat(x: u32) -> Self;
    fn add(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn shr(self, n: u32) -> Self;
    fn rotr(self, n: u32) -> Self;
    /// `(e & f) ^ (!e & g)` with `self` as e.
    fn ch(self, f: Self, g: Self) -> Self;
    /// The majority of `self`, b and c, bit by bit.
    fn maj(self, b: Self, c: Self) -> Self;
}

impl Word for u32 {
    #[inline(always)]
    fn splat(x: u32) -> Self {
        x
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn shr(self, n: u32) -> Self {
        self >> n
    }
    #[inline(always)]
    fn rotr(self, n: u32) -> Self {
        self.rotate_right(n)
    }
    #[inline(always)]
    fn ch(self, f: Self, g: Self) -> Self {
        g ^ (self & (f ^ g))
    }
    #[inline(always)]
    fn maj(self, b: Self, c: Self) -> Self {
        (self & b) | (c & (self | b))
    }
}

/// The compression function on one block: 16 straight-line rounds on the words in locals, that
/// pass looped four times (the schedule's 16 words recomputed in place between passes; four
/// passes written out measured slower and 11 KB larger).
#[inline(always)]
fn compress<W: Word>(state: &mut [W; 8], w: &mut [W; 16]) {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    macro_rules! round {
        ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $k:expr, $w:expr) => {
            let s1 = $e.rotr(6).xor($e.rotr(11)).xor($e.rotr(25));
            let t1 = $h.add(s1).add($e.ch($f, $g)).add(W::splat($k)).add($w);
            let s0 = $a.rotr(2).xor($a.rotr(13)).xor($a.rotr(22));
            $d = $d.add(t1);
            $h = t1.add(s0).add($a.maj($b, $c));
        };
    }
    macro_rules! sixteen {
        ($k:expr) => {
            round!(a, b, c, d, e, f, g, h, K[$k], w[0]);
            round!(h, a, b, c, d, e, f, g, K[$k + 1], w[1]);
            round!(g, h, a, b, c, d, e, f, K[$k + 2], w[2]);
            round!(f, g, h, a, b, c, d, e, K[$k + 3], w[3]);
            round!(e, f, g, h, a, b, c, d, K[$k + 4], w[4]);
            round!(d, e, f, g, h, a, b, c, K[$k + 5], w[5]);
            round!(c, d, e, f, g, h, a, b, K[$k + 6], w[6]);
            round!(b, c, d, e, f, g, h, a, K[$k + 7], w[7]);
            round!(a, b, c, d, e, f, g, h, K[$k + 8], w[8]);
            round!(h, a, b, c, d, e, f, g, K[$k + 9], w[9]);
            round!(g, h, a, b, c, d, e, f, K[$k + 10], w[10]);
            round!(f, g, h, a, b, c, d, e, K[$k + 11], w[11]);
            round!(e, f, g, h, a, b, c, d, K[$k + 12], w[12]);
            round!(d, e, f, g, h, a, b, c, K[$k + 13], w[13]);
            round!(c, d, e, f, g, h, a, b, K[$k + 14], w[14]);
            round!(b, c, d, e, f, g, h, a, K[$k + 15], w[15]);
        };
    }
    // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]: the 16-word ring updated in order.
    macro_rules! next {
        ($i:expr) => {
            let w15 = w[($i + 1) & 15];
            let w2 = w[($i + 14) & 15];
            let s0 = w15.rotr(7).xor(w15.rotr(18)).xor(w15.shr(3));
            let s1 = w2.rotr(17).xor(w2.rotr(19)).xor(w2.shr(10));
            w[$i] = w[$i].add(s0).add(w[($i + 9) & 15]).add(s1);
        };
    }
    macro_rules! schedule {
        () => {
            next!(0);
            next!(1);
            next!(2);
            next!(3);
            next!(4);
            next!(5);
            next!(6);
            next!(7);
            next!(8);
            next!(9);
            next!(10);
            next!(11);
            next!(12);
            next!(13);
            next!(14);
            next!(15);
        };
    }
    for pass in 0..4 {
        if pass > 0 {
            schedule!();
        }
        sixteen!(pass * 16);
    }
    let out = [a, b, c, d, e, f, g, h];
    for (s, x) in state.iter_mut().zip(out) {
        *s = s.add(x);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod lanes {
    use super::{compress, Word, H0};

    /// Four portable lanes.
    #[derive(Clone, Copy)]
    struct Four([u32; 4]);

    impl Four {
        #[inline(always)]
        fn map2(self, o: Self, f: impl Fn(u32, u32) -> u32) -> Self {
            Four([
                f(self.0[0], o.0[0]),
                f(self.0[1], o.0[1]),
                f(self.0[2], o.0[2]),
                f(self.0[3], o.0[3]),
            ])
        }
    }

    impl Word for Four {
        #[inline(always)]
        fn splat(x: u32) -> Self {
            Four([x; 4])
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            self.map2(o, u32::wrapping_add)
        }
        #[inline(always)]
        fn xor(self, o: Self) -> Self {
            self.map2(o, |x, y| x ^ y)
        }
        #[inline(always)]
        fn shr(self, n: u32) -> Self {
            Four(self.0.map(|x| x >> n))
        }
        #[inline(always)]
        fn rotr(self, n: u32) -> Self {
            Four(self.0.map(|x| x.rotate_right(n)))
        }
        #[inline(always)]
        fn ch(self, f: Self, g: Self) -> Self {
            Four([0, 1, 2, 3].map(|i| self.0[i].ch(f.0[i], g.0[i])))
        }
        #[inline(always)]
        fn maj(self, b: Self, c: Self) -> Self {
            Four([0, 1, 2, 3].map(|i| self.0[i].maj(b.0[i], c.0[i])))
        }
    }

    pub fn compress_four(words: &[[u32; 16]; 4]) -> [[u32; 8]; 4] {
        let mut w = [Four([0; 4]); 16];
        for (i, lane) in w.iter_mut().enumerate() {
            *lane = Four([words[0][i], words[1][i], words[2][i], words[3][i]]);
        }
        let mut state = H0.map(Four::splat);
        compress(&mut state, &mut w);
        [0, 1, 2, 3].map(|l| state.map(|s| s.0[l]))
    }
}

#[cfg(target_arch = "wasm32")]
mod lanes {
    use super::{compress, Word, H0};
    use core::arch::wasm32::*;

    /// Four lanes in one wasm SIMD register.
    #[derive(Clone, Copy)]
    struct Four(v128);

    impl Word for Four {
        #[inline(always)]
        fn splat(x: u32) -> Self {
            Four(u32x4_splat(x))
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            Four(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        fn xor(self, o: Self) -> Self {
            Four(v128_xor(self.0, o.0))
        }
        #[inline(always)]
        fn shr(self, n: u32) -> Self {
            Four(u32x4_shr(self.0, n))
        }
        #[inline(always)]
        fn rotr(self, n: u32) -> Self {
            Four(v128_or(u32x4_shr(self.0, n), i32x4_shl(self.0, 32 - n)))
        }
        #[inline(always)]
        fn ch(self, f: Self, g: Self) -> Self {
            // Where e has a 1 take f, else g.
            Four(v128_bitselect(f.0, g.0, self.0))
        }
        #[inline(always)]
        fn maj(self, b: Self, c: Self) -> Self {
            // Where a and b agree take a, else c.
            Four(v128_bitselect(c.0, self.0, v128_xor(self.0, b.0)))
        }
    }

    #[target_feature(enable = "simd128")]
    pub fn compress_four(words: &[[u32; 16]; 4]) -> [[u32; 8]; 4] {
        let mut w = [Four(u32x4_splat(0)); 16];
        for (i, lane) in w.iter_mut().enumerate() {
            *lane = Four(u32x4(words[0][i], words[1][i], words[2][i], words[3][i]));
        }
        let mut state = H0.map(Four::splat);
        compress(&mut state, &mut w);
        let mut out = [[0u32; 8]; 4];
        for (i, s) in state.iter().enumerate() {
            out[0][i] = u32x4_extract_lane::<0>(s.0);
            out[1][i] = u32x4_extract_lane::<1>(s.0);
            out[2][i] = u32x4_extract_lane::<2>(s.0);
            out[3][i] = u32x4_extract_lane::<3>(s.0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// Deterministic pseudo-random bytes (xorshift), every byte value possible.
    fn random_bytes(seed: &mut u64, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed >> 24) as u8
            })
            .collect()
    }

    fn expected(m: &[u8]) -> [u8; 32] {
        Sha256::digest(m).into()
    }

    #[test]
    fn four_lanes_match_sha2_at_every_length_mix() {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        for len in 0..=super::ONE_BLOCK_MAX {
            for _ in 0..10 {
                // Four different lengths per call, so a lane cannot pass on another's input.
                let lens = [len, (len * 7 + 3) % 56, (len + 28) % 56, 55 - len];
                let ms = lens.map(|l| random_bytes(&mut seed, l));
                let got = super::digest_four([&ms[0], &ms[1], &ms[2], &ms[3]]);
                for (lane, m) in ms.iter().enumerate() {
                    assert_eq!(got[lane], expected(m), "lane {lane}, length {}", m.len());
                }
            }
        }
    }

    #[test]
    fn known_vectors() {
        assert_eq!(
            super::digest_four([b"abc", b"", b"abc", b"x"])[2],
            *b"\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad"
        );
    }
}
