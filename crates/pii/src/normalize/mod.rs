//! PII normalization and hashing for Meta's hashed `user_data` keys, byte-identical to Meta's
//! own normalizer (capi-param-builder 1.3.2, which Meta's Node business SDK delegates to), minus
//! its appendix: we emit plain lowercase hex SHA-256.
//!
//! Per value: an input that already is a digest (64 or 32 hex digits, any case, surrounding
//! whitespace allowed; optionally with a param-builder appendix `<hex>.<token>`) passes through
//! as lowercase hex; anything else is normalized per field and hashed, or dropped with a reason.
mod dob;
mod email;
mod gender;
pub mod js_text;
mod phone;
mod region;
mod region_tables;
mod text_fields;

use crate::hash::{sha256_hex, sha256_hex_bytes};
use js_text::{is_hex_digest, js_length, js_trim};

/// Meta's hashed customer-information keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Email,
    Phone,
    FirstName,
    LastName,
    Gender,
    DateOfBirth,
    City,
    State,
    Zip,
    Country,
    ExternalId,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::Email,
        Field::Phone,
        Field::FirstName,
        Field::LastName,
        Field::Gender,
        Field::DateOfBirth,
        Field::City,
        Field::State,
        Field::Zip,
        Field::Country,
        Field::ExternalId,
    ];

    /// The `user_data` key Meta uses for this field.
    pub fn key(self) -> &'static str {
        match self {
            Field::Email => "em",
            Field::Phone => "ph",
            Field::FirstName => "fn",
            Field::LastName => "ln",
            Field::Gender => "ge",
            Field::DateOfBirth => "db",
            Field::City => "ct",
            Field::State => "st",
            Field::Zip => "zp",
            Field::Country => "country",
            Field::ExternalId => "external_id",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        // A match (by length, then bytes) rather than comparing with every key in turn: every
        // key of every record comes through here.
        Some(match key {
            "em" => Field::Email,
            "ph" => Field::Phone,
            "fn" => Field::FirstName,
            "ln" => Field::LastName,
            "ge" => Field::Gender,
            "db" => Field::DateOfBirth,
            "ct" => Field::City,
            "st" => Field::State,
            "zp" => Field::Zip,
            "country" => Field::Country,
            "external_id" => Field::ExternalId,
            _ => return None,
        })
    }
}

/// `user_data` keys Meta wants in plain text: never hashed. The first `PLAIN_MATCH_KEYS.len()`
/// are the ones Meta matches a person on; the rest (pages, click-to-WhatsApp, Instagram) are not.
pub const PLAIN_KEYS: &[&str] = &[
    "client_ip_address",
    "client_user_agent",
    "fbc",
    "fbp",
    "subscription_id",
    "fb_login_id",
    "lead_id",
    "anon_id",
    "madid",
    "page_id",
    "page_scoped_user_id",
    "ctwa_clid",
    "ig_account_id",
    "ig_sid",
    "whatsapp_business_account_id",
];

/// The plain `user_data` keys Meta matches a person on (customer information parameters):
/// client IP and user agent, fbc, fbp, subscription, login and lead ids, and the device ids
/// app events match on.
pub const PLAIN_MATCH_KEYS: &[&str] = PLAIN_KEYS.split_at(9).0;

/// Why a value was dropped instead of hashed. The codes are stable (they appear in reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    Empty,
    InvalidEmail,
    NoDigits,
    InvalidDate,
    UnknownGender,
    NotStartingWithLetter,
    TooShort,
}

impl DropReason {
    pub fn code(self) -> &'static str {
        match self {
            DropReason::Empty => "empty",
            DropReason::InvalidEmail => "invalid_email",
            DropReason::NoDigits => "no_digits",
            DropReason::InvalidDate => "invalid_date",
            DropReason::UnknownGender => "unknown_gender",
            DropReason::NotStartingWithLetter => "must_start_with_letter",
            DropReason::TooShort => "too_short",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            DropReason::Empty => "nothing left after normalization",
            DropReason::InvalidEmail => "not a valid email address",
            DropReason::NoDigits => "no digits other than leading zeros",
            DropReason::InvalidDate => "not a recognizable date of birth",
            DropReason::UnknownGender => "not a recognized gender word",
            DropReason::NotStartingWithLetter => "must start with a Latin letter",
            DropReason::TooShort => "shorter than two characters",
        }
    }
}

/// What normalization needs from the outside world (the date-of-birth year range).
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub current_year: i32,
}

/// A value ready for Meta: its normalized text (the digest itself for pre-hashed input) and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hashed {
    pub normalized: String,
    pub hash: String,
    pub prehashed: bool,
}

/// Normalize and hash one value of `field`.
pub fn normalize_and_hash(field: Field, raw: &str, ctx: Context) -> Result<Hashed, DropReason> {
    if let Some(digest) = prehashed_digest(raw) {
        return Ok(Hashed {
            normalized: digest.clone(),
            hash: digest,
            prehashed: true,
        });
    }
    let normalized = normalize(field, raw, ctx)?;
    let hash = sha256_hex(normalized.as_bytes());
    Ok(Hashed {
        normalized,
        hash,
        prehashed: false,
    })
}

/// Normalize one value of `field` without hashing it.
pub fn normalize(field: Field, raw: &str, ctx: Context) -> Result<String, DropReason> {
    let mut out = String::new();
    normalize_into(field, raw, ctx, &mut out).map(|()| out)
}

/// `normalize` into a caller's buffer (cleared first; its content is unspecified on error), so
/// that a batch reuses one buffer for every value.
pub fn normalize_into(
    field: Field,
    raw: &str,
    ctx: Context,
    out: &mut String,
) -> Result<(), DropReason> {
    out.clear();
    if raw.is_empty() {
        return Err(DropReason::Empty);
    }
    match field {
        Field::Email => email::normalize_into(raw, out),
        Field::Phone => phone::normalize_into(raw, out),
        Field::FirstName | Field::LastName => text_fields::name_into(raw, out),
        Field::Gender => gender::normalize_into(raw, out),
        Field::DateOfBirth => dob::normalize_into(raw, ctx.current_year, out),
        Field::City => text_fields::city_into(raw, out),
        Field::State => region::state_into(raw, out),
        Field::Zip => text_fields::zip_into(raw, out),
        Field::Country => region::country_into(raw, out),
        Field::ExternalId => text_fields::external_id_into(raw, out),
    }
}

/// The hash Meta gets for one value, as lowercase hex on the stack: 64 digits, or 32 for a
/// pre-hashed MD5 digest. What `normalize_and_hash(..).hash` is, without allocating.
#[derive(Clone, Copy)]
pub struct HexHash {
    digits: [u8; 64],
    len: u8,
}

impl HexHash {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> HexHash {
        HexHash {
            digits: sha256_hex_bytes(bytes),
            len: 64,
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// Normalize and hash one value into a `HexHash`; `scratch` holds the normalized text.
pub fn hash_value(
    field: Field,
    raw: &str,
    ctx: Context,
    scratch: &mut String,
) -> Result<HexHash, DropReason> {
    if let Some(digest) = digest_hex(raw) {
        let mut digits = [0u8; 64];
        for (d, b) in digits.iter_mut().zip(digest.bytes()) {
            *d = b.to_ascii_lowercase();
        }
        // A digest is 64 or 32 digits.
        let len = digest.len() as u8;
        return Ok(HexHash { digits, len });
    }
    normalize_into(field, raw, ctx, scratch)?;
    Ok(HexHash::of(scratch.as_bytes()))
}

/// One value on its way to its hash, for callers that hash several values together
/// (`hash::HashQueue`, four messages per SIMD pass).
pub enum Prepared {
    /// The hash is known already: a pre-hashed digest, a cached code, a long text.
    Hash(HexHash),
    /// The normalized text, in the caller's `scratch`, is short: for the caller's queue.
    Short,
}

/// `hash_value` up to the hashing of a short normalized text, which is left to the caller.
pub fn prepare_value(
    field: Field,
    raw: &str,
    ctx: Context,
    scratch: &mut String,
) -> Result<Prepared, DropReason> {
    if digest_hex(raw).is_some() {
        return hash_value(field, raw, ctx, scratch).map(Prepared::Hash);
    }
    normalize_into(field, raw, ctx, scratch)?;
    Ok(if crate::hash::queueable(scratch.as_bytes()) {
        Prepared::Short
    } else {
        Prepared::Hash(HexHash::of(scratch.as_bytes()))
    })
}

/// The list form Meta expects: each value normalized and hashed, dropped ones left out (with
/// their position and reason), duplicate hashes removed, first-seen order kept.
pub fn normalize_list<'a, I>(field: Field, values: I, ctx: Context) -> ListResult
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out = ListResult::default();
    let mut scratch = String::new();
    for (index, raw) in values.into_iter().enumerate() {
        match hash_value(field, raw, ctx, &mut scratch) {
            Ok(h) if out.hashes.iter().any(|seen| seen == h.as_str()) => {}
            Ok(h) => out.hashes.push(h.as_str().to_string()),
            Err(reason) => out.dropped.push((index, reason)),
        }
    }
    out
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListResult {
    pub hashes: Vec<String>,
    pub dropped: Vec<(usize, DropReason)>,
}

/// The lowercase digest when `raw` already is one: `<hex>` or the param-builder's
/// `<hex>.<appendix>` (appendix: a 2-char language token or any 8 UTF-16 units).
fn prehashed_digest(raw: &str) -> Option<String> {
    digest_hex(raw).map(str::to_ascii_lowercase)
}

/// The digest's hex digits as written (either case) when `raw` already is one.
fn digest_hex(raw: &str) -> Option<&str> {
    const TOKENS: [&str; 6] = ["AQ", "Ag", "Aw", "BA", "BQ", "Bg"];
    // Cheap reject: a digest needs at least 32 bytes (most values are shorter).
    if raw.len() < 32 {
        return None;
    }
    let t = js_trim(raw);
    if is_hex_digest(t) {
        return Some(t);
    }
    let (hex, appendix) = t.rsplit_once('.')?;
    let appendix_ok = TOKENS.contains(&appendix) || js_length(appendix) == 8;
    (appendix_ok && is_hex_digest(hex)).then_some(hex)
}

#[cfg(test)]
mod tests;
