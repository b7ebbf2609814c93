//! Randomness for event ids, generated `_fbp` values and trace ids: one seed from the host (its
//! CSPRNG, once per tag), stretched here with SHA-256 in counter mode. A host call for 32 random
//! bytes per event cost ~3 us in Node; a SHA-256 block costs well under one.
use crate::hash::sha256;
use crate::sha256_block::digest_four;

pub struct Entropy {
    seed: [u8; 32],
    counter: u64,
    /// The next blocks of the stream, computed four at a time (one four-lane SHA-256 costs
    /// about what one block did); `ready` of them are left, the next at `4 - ready`.
    blocks: [[u8; 32]; 4],
    ready: usize,
}

impl Entropy {
    /// From the host's seed: 32 bytes of its CSPRNG (what the JS shim always passes), used as
    /// they are; any other length is hashed to 32 bytes (never zero-padded, which would leave
    /// a short seed's stream guessable from fewer bytes than it looks).
    pub fn new(seed: &[u8]) -> Entropy {
        let seed = <[u8; 32]>::try_from(seed).unwrap_or_else(|_| sha256(seed));
        Entropy {
            seed,
            counter: 0,
            blocks: [[0; 32]; 4],
            ready: 0,
        }
    }

    /// The next 32 bytes: SHA-256(seed || counter). Distinct counters give independent blocks.
    pub fn next_block(&mut self) -> [u8; 32] {
        if self.ready == 0 {
            let inputs = [1u64, 2, 3, 4].map(|i| {
                let mut input = [0u8; 40];
                input[..32].copy_from_slice(&self.seed);
                input[32..].copy_from_slice(&self.counter.wrapping_add(i).to_le_bytes());
                input
            });
            self.blocks = digest_four([&inputs[0], &inputs[1], &inputs[2], &inputs[3]]);
            self.counter = self.counter.wrapping_add(4);
            self.ready = 4;
        }
        let block = self.blocks[4 - self.ready];
        self.ready -= 1;
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_differ_from_each_other_and_between_seeds() {
        let mut a = Entropy::new(&[1; 32]);
        let (x, y) = (a.next_block(), a.next_block());
        assert_ne!(x, y);
        assert_ne!(Entropy::new(&[2; 32]).next_block(), x);
        // Same seed, same stream: reproducible (tests fix the seed).
        assert_eq!(Entropy::new(&[1; 32]).next_block(), x);
    }

    #[test]
    fn the_stream_is_sha256_of_seed_and_counter_block_after_block() {
        // Computed four at a time, the blocks are still SHA-256(seed || counter), counter 1, 2, ...
        let seed = [7u8; 32];
        let mut e = Entropy::new(&seed);
        for counter in 1u64..=9 {
            let mut input = seed.to_vec();
            input.extend_from_slice(&counter.to_le_bytes());
            assert_eq!(e.next_block(), sha256(&input), "block {counter}");
        }
    }

    #[test]
    fn a_short_seed_is_hashed_not_padded() {
        let mut padded = [0u8; 32];
        padded[..4].copy_from_slice(&[1, 2, 3, 4]);
        let short = Entropy::new(&[1, 2, 3, 4]).next_block();
        assert_ne!(short, Entropy::new(&padded).next_block());
        assert_eq!(short, Entropy::new(&sha256(&[1, 2, 3, 4])).next_block());
    }
}
