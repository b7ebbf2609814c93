//! Sorting the short lists the tag sorts (items of a hit, custom item fields, log secrets):
//! std's stable sort is fast on long slices but costs ~4 KB of wasm per element type; an
//! insertion sort is a few hundred bytes and as fast on a few hundred elements.

/// Stable sort of `items` by `key`.
pub fn by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        by_key(&mut v, |(n, _)| *n);
        assert_eq!(v, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        by_key(&mut empty, |x| *x);
        let mut rev: Vec<u32> = (0..300).rev().collect();
        by_key(&mut rev, |x| *x);
        assert!(rev.windows(2).all(|w| w[0] < w[1]));
    }
}
