//! The golden corpus: every request body the core builds from the recorded inputs is byte for
//! byte what the core built before the typed rewrite (see tests/golden/generate.mjs).
//! `GOLDEN_RECORD=1 cargo test --test golden` records anew and fails (only on purpose: the point
//! of the file is that it does not change; the recording run never passes).
#![cfg(not(target_arch = "wasm32"))]

use omni_meta_capi::golden::Case;
use std::fs;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn cases() -> Vec<Case> {
    let inputs = fs::read_to_string(format!("{DIR}/inputs.jsonl")).expect("inputs.jsonl");
    let cases: Vec<Case> = inputs.lines().filter_map(Case::from_line).collect();
    assert_eq!(cases.len(), inputs.lines().count(), "every line is a case");
    cases
}

#[test]
fn bodies_are_byte_identical_to_the_recorded_ones() {
    let cases = cases();
    let actual: Vec<String> = cases.iter().map(Case::record).collect();
    let path = format!("{DIR}/expected.jsonl");
    if std::env::var_os("GOLDEN_RECORD").is_some() {
        fs::write(&path, actual.join("\n") + "\n").expect("write expected.jsonl");
        // Recording proves nothing: never let a run with GOLDEN_RECORD set pass (or a CI that
        // had it set would compare the corpus with itself).
        panic!(
            "recorded {} cases into {path}: review the diff, then run without GOLDEN_RECORD",
            cases.len()
        );
    }
    let expected = fs::read_to_string(&path).expect("expected.jsonl");
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(expected.len(), cases.len(), "one recorded output per case");
    let differing: Vec<&str> = cases
        .iter()
        .zip(&actual)
        .zip(&expected)
        .filter(|((_, a), e)| a.as_str() != **e)
        .map(|((c, _), _)| c.name.as_str())
        .collect();
    if let Some(first) = differing.first() {
        let i = cases.iter().position(|c| c.name == *first).unwrap_or(0);
        panic!(
            "{} of {} cases differ, first {first}:\nexpected {}\nactual   {}",
            differing.len(),
            cases.len(),
            expected[i],
            actual[i]
        );
    }
}

#[test]
fn the_corpus_covers_what_it_should() {
    let expected = fs::read_to_string(format!("{DIR}/expected.jsonl")).expect("expected.jsonl");
    let ready = expected.matches("\"status\":\"ready\"").count();
    let bodies = expected.matches("\"body\":").count();
    // Enough real bodies that a change in any stage shows, and inputs that fail too.
    assert!(bodies >= 600, "only {bodies} bodies recorded");
    assert!(ready >= 500, "only {ready} ready cases");
    assert!(expected.contains("\"status\":\"invalid\""));
    assert!(expected.contains("\"status\":\"skipped\""));
}
