//! Per-client rate limits: a token bucket per client IP on `/g/collect` and per caller on
//! `/event`, in events (an event costs one token: a 1,000-event POST costs what 1,000 hits do),
//! so one client cannot spend the identity service's or Meta's quota for everyone. Buckets live
//! in the container instance (per isolate on Workers: a limit there holds per isolate).
use std::cell::RefCell;

/// `rateLimit: {perMinute, burst}`: the sustained rate and the bucket's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u64,
    pub burst: u64,
}

/// Browsers, per client IP: a busy visitor sends a few dozen hits a minute.
pub const BROWSER_DEFAULT: Rate = Rate {
    per_minute: 600,
    burst: 200,
};
/// Backends, per token: a server relays many visitors' events.
pub const BACKEND_DEFAULT: Rate = Rate {
    per_minute: 120_000,
    burst: 20_000,
};

/// Clients tracked at most; past it the fullest (idlest) buckets are forgotten first.
const MAX_CLIENTS: usize = 10_000;

#[derive(Debug, Default)]
pub struct Buckets {
    /// (client key, tokens left in thousandths, last refill ms).
    clients: RefCell<Vec<(String, u64, u64)>>,
}

impl Buckets {
    /// Take `cost` tokens for `key` at `now_ms`: `Ok`, or `Err(seconds)` to wait before the
    /// bucket holds them (the Retry-After). A cost above the burst can never fit: it is refused
    /// with the time a full bucket takes.
    pub fn take(&self, rate: Rate, key: &str, cost: u64, now_ms: u64) -> Result<(), u64> {
        let Ok(mut clients) = self.clients.try_borrow_mut() else {
            return Ok(());
        };
        let full = rate.burst.saturating_mul(1000);
        let index = match clients.iter().position(|(k, _, _)| k == key) {
            Some(i) => i,
            None => {
                if clients.len() >= MAX_CLIENTS {
                    forget_fullest(&mut clients, rate, now_ms);
                }
                clients.push((key.to_string(), full, now_ms));
                clients.len() - 1
            }
        };
        let Some((_, tokens, last)) = clients.get_mut(index) else {
            return Ok(());
        };
        // per_minute tokens a minute = per_minute thousandths a millisecond / 60.
        let refill = now_ms.saturating_sub(*last).saturating_mul(rate.per_minute) / 60;
        *tokens = tokens.saturating_add(refill).min(full);
        *last = now_ms.max(*last);
        let want = cost.saturating_mul(1000).min(full);
        if want <= *tokens {
            *tokens -= want;
            return Ok(());
        }
        let missing = want - *tokens;
        let ms = missing.saturating_mul(60) / rate.per_minute.max(1);
        Err(ms.div_ceil(1000).max(1))
    }
}

/// Drop the tenth of the clients whose buckets are (after refill) the fullest: they are idle.
fn forget_fullest(clients: &mut Vec<(String, u64, u64)>, rate: Rate, now_ms: u64) {
    let level = |(_, tokens, last): &(String, u64, u64)| {
        let refill = now_ms.saturating_sub(*last).saturating_mul(rate.per_minute) / 60;
        tokens.saturating_add(refill)
    };
    let mut levels: Vec<u64> = clients.iter().map(level).collect();
    levels.sort_unstable();
    let cut = levels.get(levels.len() * 9 / 10).copied().unwrap_or(0);
    let mut dropped = 0;
    let target = clients.len() / 10 + 1;
    clients.retain(|c| {
        let drop = dropped < target && level(c) >= cut;
        dropped += usize::from(drop);
        !drop
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        per_minute: 60,
        burst: 10,
    };

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let b = Buckets::default();
        for _ in 0..10 {
            assert_eq!(b.take(RATE, "1.2.3.4", 1, 0), Ok(()));
        }
        assert_eq!(b.take(RATE, "1.2.3.4", 1, 0), Err(1));
        assert_eq!(
            b.take(RATE, "5.6.7.8", 1, 0),
            Ok(()),
            "another client has its own"
        );
        assert_eq!(b.take(RATE, "1.2.3.4", 1, 1_000), Ok(()), "one a second");
        assert_eq!(b.take(RATE, "1.2.3.4", 1, 1_000), Err(1));
        assert_eq!(b.take(RATE, "1.2.3.4", 5, 6_000), Ok(()), "5 s refilled 5");
        assert_eq!(b.take(RATE, "1.2.3.4", 1, 6_000), Err(1));
    }

    #[test]
    fn costs_are_events_and_waits_are_honest() {
        let b = Buckets::default();
        assert_eq!(b.take(RATE, "k", 10, 0), Ok(()));
        assert_eq!(b.take(RATE, "k", 4, 0), Err(4));
        // More than the burst passes on a full bucket only, and empties it.
        assert_eq!(b.take(RATE, "k2", 50, 0), Ok(()));
        assert_eq!(b.take(RATE, "k2", 1, 0), Err(1));
        assert_eq!(b.take(RATE, "k2", 50, 5_000), Err(5), "5 of 10 refilled");
    }

    #[test]
    fn memory_is_bounded() {
        let b = Buckets::default();
        for i in 0..(MAX_CLIENTS + 50) {
            let _ = b.take(RATE, &format!("c{i}"), 1, i as u64);
        }
        assert!(b.clients.borrow().len() <= MAX_CLIENTS);
    }
}
