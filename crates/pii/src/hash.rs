//! SHA-256 as Meta wants it: lowercase hex of the UTF-8 bytes.
use std::cell::RefCell;

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    let hex = sha256_hex_bytes(bytes);
    // Only hex digits were written, so this is always valid UTF-8.
    core::str::from_utf8(&hex).unwrap_or_default().to_string()
}

/// The lowercase hex digest as ASCII bytes on the stack (no allocation).
pub fn sha256_hex_bytes(bytes: &[u8]) -> [u8; 64] {
    match code_index(bytes) {
        Some(i) => code_hash(i, bytes),
        None => hex_digest(&sha256_digest(bytes)),
    }
}

/// Two lowercase hex digits per byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    pairs
};

fn hex_digest(digest: &[u8; 32]) -> [u8; 64] {
    let mut hex = [0u8; 64];
    for (pair, &b) in hex.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    hex
}

/// Texts of one or two ASCII lowercase letters: what state, country and gender normalize to
/// (a small set that real traffic repeats: nearly every record has them), so their hashes are
/// computed once per thread and looked up after (measured ~0.5 µs per record in wasm).
const CODES: usize = 26 + 26 * 26;

/// The text's slot in the code cache, when it is such a code.
fn code_index(bytes: &[u8]) -> Option<usize> {
    match *bytes {
        [a] if a.is_ascii_lowercase() => Some(usize::from(a - b'a')),
        [a, b] if a.is_ascii_lowercase() && b.is_ascii_lowercase() => {
            Some(26 + usize::from(a - b'a') * 26 + usize::from(b - b'a'))
        }
        _ => None,
    }
}

thread_local! {
    /// Hex hashes of the codes, by `code_index`; all zero bytes until computed (a hex digit
    /// is never zero). Allocated on first use.
    static CODE_HASHES: RefCell<Vec<[u8; 64]>> = const { RefCell::new(Vec::new()) };
}

fn code_hash(index: usize, bytes: &[u8]) -> [u8; 64] {
    CODE_HASHES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.is_empty() {
            cache.resize(CODES, [0; 64]);
        }
        match cache.get_mut(index) {
            Some(slot) if slot[0] != 0 => *slot,
            Some(slot) => {
                *slot = hex_digest(&sha256_digest(bytes));
                *slot
            }
            None => hex_digest(&sha256_digest(bytes)),
        }
    })
}

use crate::sha256_block::{digest_four, padded_block, H0, ONE_BLOCK_MAX};

/// True when `bytes` is for a `HashQueue`: one block, and not a cached code.
pub fn queueable(bytes: &[u8]) -> bool {
    bytes.len() <= ONE_BLOCK_MAX && code_index(bytes).is_none()
}

/// Values a `HashQueue` has room for without growing (a record has at most 11 hashed keys).
pub const QUEUE_ROOM: usize = 16;

/// Short texts whose hashes are wanted together, hashed four at a time by `hash_all`
/// (`sha256_block::digest_four`: one wasm SIMD pass for four messages, measured ~2.6x sha2 per
/// message in wasm). A record's values are queued, hashed, then written in place.
#[derive(Default)]
pub struct HashQueue {
    texts: Vec<u8>,
    /// Each text's end in `texts`, and the caller's tag for it (`FORGOTTEN`: not wanted).
    entries: Vec<(usize, usize)>,
}

const FORGOTTEN: usize = usize::MAX;

impl HashQueue {
    /// Empty, with room for a record's values (one allocation per buffer, once per thread).
    pub fn clear(&mut self) {
        self.texts.clear();
        self.entries.clear();
        self.texts.reserve(QUEUE_ROOM * ONE_BLOCK_MAX);
        self.entries.reserve(QUEUE_ROOM);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queue a text (`queueable`) under the caller's `tag` (where its hash goes).
    pub fn push(&mut self, text: &[u8], tag: usize) {
        self.texts.extend_from_slice(text);
        self.entries.push((self.texts.len(), tag));
    }

    /// The texts queued under `tag` are no longer wanted (`hash_all` skips them).
    pub fn forget(&mut self, tag: usize) {
        for entry in &mut self.entries {
            if entry.1 == tag {
                entry.1 = FORGOTTEN;
            }
        }
    }

    /// Hash every queued text; `put(tag, hex)` for each still wanted, in queue order.
    pub fn hash_all(&self, mut put: impl FnMut(usize, &str)) {
        let mut emit = |tag: usize, digest: &[u8; 32]| {
            if tag != FORGOTTEN {
                let hex = hex_digest(digest);
                // Only hex digits were written.
                put(tag, core::str::from_utf8(&hex).unwrap_or_default());
            }
        };
        let mut start = 0;
        for group in self.entries.chunks(4) {
            if let [(end, tag)] = *group {
                // A lone text: the SIMD pass would cost four.
                emit(
                    tag,
                    &sha256_digest(self.texts.get(start..end).unwrap_or_default()),
                );
                break;
            }
            let mut texts: [&[u8]; 4] = [&[]; 4];
            for (slot, &(end, _)) in texts.iter_mut().zip(group) {
                *slot = self.texts.get(start..end).unwrap_or_default();
                start = end;
            }
            for (&(_, tag), digest) in group.iter().zip(&digest_four(texts)) {
                emit(tag, digest);
            }
        }
    }
}

/// SHA-256. Normalized PII is nearly always short: a message that fits one block is padded
/// here and run through sha2's compression function directly, which skips the hasher's
/// buffering (measured ~15% of the hashing time in wasm); longer ones go through `Sha256`.
fn sha256_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::digest::generic_array::GenericArray;
    if bytes.len() > ONE_BLOCK_MAX {
        return Sha256::digest(bytes).into();
    }
    let block = GenericArray::from(padded_block(bytes));
    let mut state = H0;
    sha2::compress256(&mut state, core::slice::from_ref(&block));
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    #[test]
    fn one_block_path_matches_the_hasher_at_every_length() {
        let text: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..=text.len() {
            let expected: [u8; 32] = Sha256::digest(&text[..len]).into();
            assert_eq!(super::sha256_digest(&text[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn cached_codes_hash_like_the_hasher() {
        let mut texts: Vec<Vec<u8>> = (b'a'..=b'z').map(|a| vec![a]).collect();
        for a in b'a'..=b'z' {
            texts.extend((b'a'..=b'z').map(|b| vec![a, b]));
        }
        texts.extend([
            b"A".to_vec(),
            b"aB".to_vec(),
            b"a1".to_vec(),
            b"abc".to_vec(),
            vec![],
        ]);
        for text in &texts {
            let expected = super::hex(&Sha256::digest(text));
            // Twice: computed, then from the cache.
            for _ in 0..2 {
                assert_eq!(
                    super::sha256_hex_bytes(text).as_slice(),
                    expected.as_bytes()
                );
            }
        }
    }

    #[test]
    fn known_digest() {
        assert_eq!(
            super::sha256_hex(b"john_smith@gmail.com"),
            "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
        );
    }
}

/// HMAC-SHA256 as lowercase hex (Meta's `appsecret_proof` = HMAC(app secret, access token);
/// `/event` signatures), with RustCrypto's `hmac`.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    // `new_from_slice` takes a key of any length for HMAC: the error cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Lowercase hex of any bytes (the digests' table, `HEX_PAIRS`).
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|&b| HEX_PAIRS[usize::from(b)].map(char::from))
        .collect()
}

#[cfg(test)]
mod hmac_tests {
    #[test]
    fn rfc4231_test_case_2() {
        assert_eq!(
            super::hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (RFC 4231 test case 6).
        assert_eq!(
            super::hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}

/// SHA-256 as raw bytes (for deriving per-event randomness, not for PII): one block straight
/// through the compression function, as the PII hashes go.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha256_digest(bytes)
}
