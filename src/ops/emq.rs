//! An Event Match Quality *estimate*: not Meta's score (Meta does not publish its model), but a
//! documented, repeatable reading of the same inputs, so a marketer sees which customer
//! information parameters are missing before Events Manager says so a day later.
//!
//! Method (see the README's "Event Match Quality estimate"):
//! - Meta scores EMQ 0-10 per event name from the customer information parameters the events
//!   carry. Its Conversions API best practices name email, phone, click ID (`fbc`), external ID,
//!   browser ID (`fbp`), IP address and user agent as the parameters that matter most, and list
//!   name, gender, date of birth, city, state, zip and country as further ones.
//! - Each parameter here has a weight (`WEIGHTS`, points out of 100) in that order of priority.
//! - The estimate of a group of events (one event name at one pixel) is the sum of each
//!   parameter's weight times its coverage (the share of the events that carried it), over 10:
//!   0-10, in tenths. A parameter carried by half the events counts half.
//! - "What would raise it most": the parameters with the largest weight x (1 - coverage), with
//!   the points each would add if every event carried it.
//!
//! Bands as Events Manager names them: poor (< 4), ok (< 6), good (< 8), great.
use crate::json::{decimal, Json, Key};
use crate::normalize::{Field, PLAIN_KEYS};

/// Points out of 100 per customer information parameter, highest priority first.
pub const WEIGHTS: [(&str, u64); 16] = [
    ("em", 25),
    ("ph", 15),
    ("fbc", 15),
    ("external_id", 10),
    ("fbp", 8),
    ("client_ip_address", 6),
    ("client_user_agent", 6),
    ("fn", 3),
    ("ln", 3),
    ("db", 2),
    ("zp", 2),
    ("ge", 1),
    ("ct", 1),
    ("st", 1),
    ("country", 1),
    ("fb_login_id", 1),
];

/// Every `user_data` key Meta takes (hashed, then plain): coverage is shown for each (those
/// without a weight score 0).
pub fn user_data_keys() -> impl Iterator<Item = &'static str> {
    Field::ALL
        .into_iter()
        .map(Field::key)
        .chain(PLAIN_KEYS.iter().copied())
}

/// How many parameters "would raise it most" lists.
const RAISERS: usize = 3;

pub fn weight(key: &str) -> u64 {
    WEIGHTS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, w)| *w)
}

/// The estimate of `events` events of which `carried(key)` carried each key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub events: u64,
    /// 0..=100 (tenths of the 0-10 score).
    pub tenths: u64,
    /// (key, tenths it would add if every event carried it), largest first; none that add 0.
    pub raisers: Vec<(&'static str, u64)>,
    /// (key, events that carried it) for every `user_data_keys` key.
    pub coverage: Vec<(&'static str, u64)>,
}

/// `x/10` as a decimal with one digit (`74` -> `7.4`).
pub fn tenths_text(t: u64) -> String {
    format!("{}.{}", decimal(t / 10), decimal(t % 10))
}

pub fn band(tenths: u64) -> &'static str {
    match tenths {
        0..=39 => "poor",
        40..=59 => "ok",
        60..=79 => "good",
        _ => "great",
    }
}

/// `weight x carried / events` summed, in tenths of the score (rounded to nearest).
pub fn estimate(events: u64, carried: impl Fn(&str) -> u64) -> Estimate {
    let coverage: Vec<(&'static str, u64)> = user_data_keys()
        .map(|k| (k, carried(k).min(events)))
        .collect();
    let of = |key: &str| coverage.iter().find(|(k, _)| *k == key).map_or(0, |c| c.1);
    // Points x events; the score in tenths is points / 10 (points are out of 100).
    let scaled = |points_times_events: u64| {
        points_times_events
            .saturating_add(events / 2)
            .checked_div(events)
            .unwrap_or(0)
    };
    let total = WEIGHTS
        .iter()
        .fold(0u64, |a, (k, w)| a.saturating_add(w.saturating_mul(of(k))));
    let mut raisers: Vec<(&'static str, u64)> = WEIGHTS
        .iter()
        .map(|(k, w)| (*k, scaled(w.saturating_mul(events - of(k)))))
        .filter(|(_, gain)| *gain > 0)
        .collect();
    // Stable: equal gains stay in priority order.
    raisers.sort_by_key(|r| std::cmp::Reverse(r.1));
    raisers.truncate(RAISERS);
    Estimate {
        events,
        tenths: scaled(total).min(100),
        raisers,
        coverage,
    }
}

impl Estimate {
    /// `{events, score: "7.4", band, raise: [{key, add: "2.5"}], coverage: {key: share}}`
    /// (`score` null without events; shares as percentages, whole numbers).
    pub fn to_json(&self) -> Json {
        let score = (self.events > 0).then(|| Json::Number(tenths_text(self.tenths).into()));
        let raise = self.raisers.iter().map(|(k, add)| {
            Json::object([
                ("key", Json::from(*k)),
                ("add", Json::Number(tenths_text(*add).into())),
            ])
        });
        let coverage = self.coverage.iter().map(|(k, n)| {
            let pct = n
                .saturating_mul(100)
                .saturating_add(self.events / 2)
                .checked_div(self.events)
                .unwrap_or(0);
            (Key::from(*k), Json::from(pct))
        });
        Json::object([
            ("events", Json::from(self.events)),
            ("score", Json::from(score)),
            (
                "band",
                Json::from((self.events > 0).then(|| band(self.tenths))),
            ),
            ("raise", Json::Array(raise.collect())),
            ("coverage", Json::Object(coverage.collect())),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: &'static [(&'static str, u64)]) -> impl Fn(&str) -> u64 {
        move |k| pairs.iter().find(|(p, _)| *p == k).map_or(0, |p| p.1)
    }

    #[test]
    fn weights_add_up_to_ten_and_every_weighted_key_is_a_user_data_key() {
        assert_eq!(WEIGHTS.iter().map(|w| w.1).sum::<u64>(), 100);
        assert!(WEIGHTS
            .iter()
            .all(|(k, _)| user_data_keys().any(|u| u == *k)));
        // Highest priority first, as the README lists them.
        assert!(WEIGHTS.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn every_weighted_key_on_every_event_scores_ten() {
        let e = estimate(7, |k| if weight(k) > 0 { 7 } else { 0 });
        assert_eq!((e.tenths, band(e.tenths)), (100, "great"));
        assert!(e.raisers.is_empty());
    }

    #[test]
    fn nothing_scores_zero_and_no_events_has_no_score() {
        let e = estimate(4, |_| 0);
        assert_eq!(e.tenths, 0);
        assert_eq!(e.raisers[0], ("em", 25));
        let none = estimate(0, |_| 0);
        assert!(none.to_json().get("score").is_some_and(Json::is_null));
    }

    /// The README's worked example: 10 Purchases, all with IP, user agent and fbp, 6 with an
    /// email, 2 with fbc, none with a phone.
    #[test]
    fn the_readme_worked_example() {
        let e = estimate(
            10,
            of(&[
                ("client_ip_address", 10),
                ("client_user_agent", 10),
                ("fbp", 10),
                ("em", 6),
                ("fbc", 2),
            ]),
        );
        // 6 + 6 + 8 + 25 x 0.6 + 15 x 0.2 = 38 points -> 3.8 (poor).
        assert_eq!(tenths_text(e.tenths), "3.8");
        assert_eq!(band(e.tenths), "poor");
        // Phone (+1.5 if all had it), fbc (15 x 0.8 = +1.2), then email on the other 4 (25 x 0.4
        // = +1.0), ahead of external_id's equal +1.0 by priority.
        assert_eq!(e.raisers, vec![("ph", 15), ("fbc", 12), ("em", 10)]);
        let json = e.to_json().to_json();
        assert!(json.contains(r#""score":3.8"#), "{json}");
        assert!(
            json.contains(r#""em":60"#) && json.contains(r#""ph":0"#),
            "{json}"
        );
        assert!(json.contains(r#"{"key":"fbc","add":1.2}"#), "{json}");
    }

    #[test]
    fn partial_coverage_counts_in_proportion_and_rounds_to_nearest() {
        // 1 of 3 with an email: 25/3 = 8.33 points -> 0.8.
        let e = estimate(3, of(&[("em", 1)]));
        assert_eq!(e.tenths, 8);
        // More carried than events (bad input) counts as all.
        let e = estimate(2, of(&[("em", 9)]));
        assert_eq!(e.tenths, 25);
        assert_eq!(e.coverage.iter().find(|c| c.0 == "em"), Some(&("em", 2)));
    }

    #[test]
    fn unweighted_keys_are_covered_but_do_not_score() {
        let e = estimate(5, of(&[("lead_id", 5)]));
        assert_eq!(e.tenths, 0);
        assert_eq!(
            e.coverage.iter().find(|c| c.0 == "lead_id"),
            Some(&("lead_id", 5))
        );
        assert_eq!(e.coverage.len(), user_data_keys().count());
        assert!(e.coverage.len() >= 26, "hashed and plain keys");
    }

    #[test]
    fn bands_at_their_edges() {
        assert_eq!(
            [39, 40, 59, 60, 79, 80].map(band),
            ["poor", "ok", "ok", "good", "good", "great"]
        );
    }
}
