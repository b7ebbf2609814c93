//! A small JSON value, parser and writer: everything crosses the JS boundary and leaves for Meta
//! as JSON text, and this is several times smaller and faster in wasm than serde_json (measured:
//! see the README). Objects keep their key order. Numbers keep their source text, so nothing is
//! lost or reformatted on the way through and no float formatting code is needed.

/// Nesting deeper than this is rejected (the parser recurses; this bounds its stack).
const MAX_DEPTH: usize = 128;

use std::borrow::Cow;

/// A JSON value whose text may be borrowed: from the input it was parsed from (`parse_borrowed`:
/// the event, read in place) or from the program (`'static` keys such as `"event_name"` cost no
/// allocation). `Json` is the owned form every stage passes around.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// A number as written (validated JSON number syntax).
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// A value that borrows nothing but `'static` text.
pub type Json = Value<'static>;

/// An object key of a `Json`: a `'static` name costs nothing, any other is owned.
pub type Key = Cow<'static, str>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the input where the problem is.
    pub offset: usize,
    pub message: &'static str,
}

impl ParseError {
    pub fn describe(&self) -> String {
        format!("{} at byte {}", self.message, self.offset)
    }
}

impl<'a> Value<'a> {
    /// An object from `(key, value)` pairs (`'static` keys are not copied).
    pub fn object<K: Into<Cow<'a, str>>, const N: usize>(pairs: [(K, Value<'a>); N]) -> Self {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value of `key` in an object (the last one, as `JSON.parse` keeps it).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| same_key(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Value<'a>)]> {
        match self {
            Value::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// A string value that borrows `text` (from the event, or a `'static` literal): no copy.
    pub fn str(text: &'a str) -> Self {
        Value::String(Cow::Borrowed(text))
    }

    /// A copy that borrows nothing but `'static` text, when the value must outlive its input.
    pub fn into_owned(self) -> Json {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(Cow::Owned(n.into_owned())),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
            Value::Object(pairs) => Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Append `key` to an object that cannot have it yet (a field written once, in a fixed
    /// order, by code that knows it), without `set`'s search of the keys before it. No-op on
    /// other values.
    pub fn push(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) {
        if let Value::Object(pairs) = self {
            let key = key.into();
            debug_assert!(pairs.iter().all(|(k, _)| *k != key), "{key} pushed twice");
            pairs.push((key, value));
        }
    }

    /// Insert or replace `key` in an object (no-op on other values).
    pub fn set(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) {
        if let Value::Object(pairs) = self {
            let key = key.into();
            match pairs.iter_mut().find(|(k, _)| same_key(k, &key)) {
                Some(slot) => slot.1 = value,
                None => pairs.push((key, value)),
            }
        }
    }

    /// A copy that borrows nothing (what leaves the input's lifetime: values copied from the
    /// event into Meta's event).
    pub fn to_owned_json(&self) -> Json {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Number(n) => Value::Number(owned(n)),
            Value::String(s) => Value::String(owned(s)),
            Value::Array(items) => Value::Array(items.iter().map(Value::to_owned_json).collect()),
            Value::Object(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (owned(k), v.to_owned_json()))
                    .collect(),
            ),
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => write_array(items, out, Value::write),
            Value::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Key equality with the last byte compared before the rest: keys of one length mostly differ
/// there (`em`/`ph`, `fbc`/`fbp`), and most lookups of an object's keys compare several of a
/// length before the one that matches (a `memcmp` call each).
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// A copy of the text that borrows nothing.
fn owned(text: &Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.to_string())
}

impl<'a> From<&str> for Value<'a> {
    fn from(s: &str) -> Value<'a> {
        Value::String(Cow::Owned(s.to_string()))
    }
}

impl<'a> From<String> for Value<'a> {
    fn from(s: String) -> Value<'a> {
        Value::String(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Value<'a> {
        Value::String(s)
    }
}

impl<'a> From<bool> for Value<'a> {
    fn from(b: bool) -> Value<'a> {
        Value::Bool(b)
    }
}

impl<'a> From<u64> for Value<'a> {
    fn from(n: u64) -> Value<'a> {
        Value::Number(small_decimal(n).map_or_else(|| Cow::Owned(decimal(n)), Cow::Borrowed))
    }
}

/// "00" to "99": the text of a small number is borrowed from here (quantities, counts and flags
/// are mostly below 100, and a Purchase has several).
static TWO_DIGITS: [u8; 200] = {
    let mut digits = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        digits[2 * i] = b'0' + (i / 10) as u8;
        digits[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    digits
};

/// The decimal text of `n` without an allocation, when `n` is below 100.
fn small_decimal(n: u64) -> Option<&'static str> {
    let n = usize::try_from(n).ok().filter(|n| *n < 100)?;
    let from = if n < 10 { 2 * n + 1 } else { 2 * n };
    core::str::from_utf8(TWO_DIGITS.get(from..2 * n + 2)?).ok()
}

impl<'a> From<usize> for Value<'a> {
    fn from(n: usize) -> Value<'a> {
        Value::from(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

impl<'a> From<u32> for Value<'a> {
    fn from(n: u32) -> Value<'a> {
        Value::from(u64::from(n))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Value<'a> {
        v.map_or(Value::Null, Into::into)
    }
}

impl<'a, T: Into<Value<'a>>> From<Vec<T>> for Value<'a> {
    fn from(items: Vec<T>) -> Value<'a> {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

/// Decimal text of an unsigned integer (without pulling in `core::fmt`).
pub fn decimal(n: u64) -> String {
    let mut out = String::with_capacity(20);
    push_decimal(n, &mut out);
    out
}

/// `n` in decimal, appended to `out`.
pub fn push_decimal(n: u64, out: &mut String) {
    push_padded(n, 1, out);
}

/// `n` in decimal, zero-padded to `width` digits (at most 20), appended to `out`
/// (`format!("{n:0width$}")` without core::fmt or an allocation).
pub fn push_padded(n: u64, width: usize, out: &mut String) {
    let mut digits = [b'0'; 20];
    let width = width.min(digits.len());
    let mut i = digits.len();
    let mut rest = n;
    while rest > 0 || digits.len() - i < width {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// Where a record's fields are written: an object, by name (`ObjectWriter`), or an array, by
/// position (`ArrayWriter`). A record's writer is written once, for both forms.
pub trait RecordWriter {
    /// The text to append the value of field `key` to (valid JSON).
    fn field(&mut self, key: &str) -> &mut String;

    fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_string(value, self.field(key));
        self
    }

    fn num(&mut self, key: &str, value: u64) -> &mut Self {
        push_decimal(value, self.field(key));
        self
    }

    fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.field(key)
            .push_str(if value { "true" } else { "false" });
        self
    }

    fn null(&mut self, key: &str) -> &mut Self {
        self.field(key).push_str("null");
        self
    }

    /// `key` with an array of `items`, each written by `write`.
    fn list<T>(&mut self, key: &str, items: &[T], write: impl Fn(&T, &mut String)) -> &mut Self {
        write_array(items, self.field(key), write);
        self
    }
}

/// A record that is written either way: by name (`write_json`) or by position (`write_row`),
/// from one list of its fields.
pub trait Record {
    fn write_fields(&self, w: &mut impl RecordWriter);

    /// The record as an object, appended to `out`.
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        self.write_fields(&mut o);
        o.end();
    }

    /// The record by position (as an array), appended to `out`.
    fn write_row(&self, out: &mut String) {
        let mut a = ArrayWriter::new(out);
        self.write_fields(&mut a);
        a.end();
    }
}

/// A JSON array written element by element: a record by position, where the reader knows what
/// each position holds (`BuildOutput::write_wire`). Field names are not written.
pub struct ArrayWriter<'o> {
    out: &'o mut String,
    empty: bool,
}

impl<'o> ArrayWriter<'o> {
    pub fn new(out: &'o mut String) -> Self {
        out.push('[');
        ArrayWriter { out, empty: true }
    }

    pub fn end(self) {
        self.out.push(']');
    }
}

impl RecordWriter for ArrayWriter<'_> {
    fn field(&mut self, _key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out
    }
}

impl RecordWriter for ObjectWriter<'_> {
    fn field(&mut self, key: &str) -> &mut String {
        self.key(key)
    }
}

/// One JSON object written straight into text, field by field: for results of a fixed shape,
/// which need no tree (built, written and dropped: a tenth of a small build's time).
pub struct ObjectWriter<'o> {
    out: &'o mut String,
    empty: bool,
}

impl<'o> ObjectWriter<'o> {
    pub fn new(out: &'o mut String) -> Self {
        out.push('{');
        ObjectWriter { out, empty: true }
    }

    /// Write `key` and return the text for the caller to append the value to (valid JSON).
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_string(key, self.out);
        self.out.push(':');
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        write_string(value, self.key(key));
        self
    }

    pub fn num(&mut self, key: &str, value: u64) -> &mut Self {
        push_decimal(value, self.key(key));
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    pub fn value(&mut self, key: &str, value: &Json) -> &mut Self {
        value.write(self.key(key));
        self
    }

    /// `key` with an array of `items`, each written by `write`.
    pub fn array<T>(
        &mut self,
        key: &str,
        items: &[T],
        write: impl Fn(&T, &mut String),
    ) -> &mut Self {
        write_array(items, self.key(key), write);
        self
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

/// `[...]` of `items`, each written by `write`, appended to `out`.
pub fn write_array<T>(items: &[T], out: &mut String, write: impl Fn(&T, &mut String)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, out);
    }
    out.push(']');
}

/// Bytes that must be escaped inside a JSON string: controls, `"` and `\\`.
const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

fn needs_escape(b: u8) -> bool {
    ESCAPE[usize::from(b)]
}

/// The index of the first byte of `bytes` that `needs_escape`: eight bytes at a time while
/// none does (a string's plain run is the scan every JSON string costs; byte by byte it was
/// ~10% of hashing a record), then byte by byte within the word that has one.
fn first_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Nonzero when some byte of `x` is below `n` (n <= 128): exact for "some", which is all
    // that is asked here (the byte loop below finds which).
    let has_below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        if has_below(word, 0x20) | has_below(quote, 1) | has_below(backslash, 1) != 0 {
            break;
        }
        start += 8;
    }
    let rest = bytes.get(start..)?;
    rest.iter()
        .position(|&b| needs_escape(b))
        .map(|i| start + i)
}

/// `s` as a JSON string literal, appended to `out` (what `Json::String(s).write(out)` writes).
pub fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    // Copy runs that need no escaping in one go (hashes and most text are a single run).
    while let Some(offset) = first_escape(&bytes[start..]) {
        let i = start + offset;
        out.push_str(&s[start..i]);
        let b = bytes[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Parse one JSON document (surrounding whitespace allowed, nothing else after it) into a value
/// that owns its text.
pub fn parse(text: &str) -> Result<Json, ParseError> {
    parse_with::<Copied>(text)
}

/// `parse`, with strings and keys borrowed from `text` unless they hold escapes: the event read
/// in place, for the length of one build (a tenth of the allocations of `parse`).
pub fn parse_borrowed(text: &str) -> Result<Value<'_>, ParseError> {
    parse_with::<Borrowed>(text)
}

fn parse_with<'a, 'v, T: TextOf<'a, 'v>>(text: &'a str) -> Result<Value<'v>, ParseError> {
    let mut p = Parser::<T>::new(text);
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

/// How a string without escapes becomes a value's text: borrowed, or copied (an owned tree).
/// A type parameter of the parser, not a function pointer: the borrowed case inlines to
/// nothing (an indirect call per string was ~1% of a build in wasm).
trait TextOf<'a, 'v> {
    fn text_of(text: &'a str) -> Cow<'v, str>;
}

struct Borrowed;

impl<'a> TextOf<'a, 'a> for Borrowed {
    fn text_of(text: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(text)
    }
}

struct Copied;

impl<'a> TextOf<'a, 'static> for Copied {
    fn text_of(text: &'a str) -> Cow<'static, str> {
        Cow::Owned(text.to_string())
    }
}

/// A cursor over JSON text for a caller that walks a shape it knows without building a tree
/// (the user_data hashing path): the same grammar and errors as `parse`, strings borrowed
/// unless they hold escapes, numbers as their source text. Whitespace is skipped before
/// every token.
pub struct Cursor<'a> {
    p: Parser<'a, 'a, Borrowed>,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor {
            p: Parser::new(text),
        }
    }

    pub fn pos(&self) -> usize {
        self.p.pos
    }

    /// Back to an earlier position (to re-read a value as a tree).
    pub fn rewind(&mut self, pos: usize) {
        self.p.pos = pos;
    }

    /// The next byte after whitespace, not consumed. Called at every token: the check for no
    /// whitespace (never any in `JSON.stringify`'s output) is inlined, the whitespace loop is
    /// not (inlined copies of it cost more wasm than they save time).
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        match self.p.peek() {
            Some(b' ' | b'\t' | b'\n' | b'\r') => self.peek_after_whitespace(),
            next => next,
        }
    }

    #[inline(never)]
    fn peek_after_whitespace(&mut self) -> Option<u8> {
        self.p.skip_ws();
        self.p.peek()
    }

    /// Consume `byte` if it comes next (after whitespace).
    pub fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.p.pos += 1;
            true
        } else {
            false
        }
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string (the cursor must be at its opening quote).
    pub fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.p.skip_ws();
        self.p.string_cow()
    }

    /// A number's source text (the cursor must be at its first byte).
    pub fn number(&mut self) -> Result<&'a str, ParseError> {
        self.p.skip_ws();
        self.p.number_text()
    }

    /// Any value as a tree (borrowing from the text), at nesting `depth` (as `parse` counts
    /// it, for the same depth limit).
    pub fn value(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.p.value(depth)
    }
}

struct Parser<'a, 'v, T> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// How a string without escapes becomes a value's text: borrowed, or copied (an owned tree).
    text_of: std::marker::PhantomData<fn(&'a str) -> (T, Cow<'v, str>)>,
}

impl<'a, 'v, T: TextOf<'a, 'v>> Parser<'a, 'v, T> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            text_of: std::marker::PhantomData,
        }
    }

    fn error(&self, message: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            message,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consume `byte` if it comes next (the parser's punctuation: no slice compare).
    fn eat_byte(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        let end = self.pos + literal.len();
        if self.bytes.get(self.pos..end) == Some(literal.as_bytes()) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'v>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) if self.eat("true") => Ok(Value::Bool(true)),
            Some(_) if self.eat("false") => Ok(Value::Bool(false)),
            Some(_) if self.eat("null") => Ok(Value::Null),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'v>, ParseError> {
        self.pos += 1;
        self.skip_ws();
        if self.eat_byte(b']') {
            return Ok(Value::Array(Vec::new()));
        }
        // Room for a small array, and for the keys of a usual object below: one allocation
        // where growing from empty took two or three (the tree lives for one build).
        let mut items = Vec::with_capacity(4);
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            if self.eat_byte(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat_byte(b',') {
                return Err(self.error("expected ',' or ']'"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'v>, ParseError> {
        self.pos += 1;
        self.skip_ws();
        if self.eat_byte(b'}') {
            return Ok(Value::Object(Vec::new()));
        }
        let mut pairs = Vec::with_capacity(8);
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat_byte(b':') {
                return Err(self.error("expected ':'"));
            }
            let value = self.value(depth + 1)?;
            pairs.push((key, value));
            self.skip_ws();
            if self.eat_byte(b'}') {
                return Ok(Value::Object(pairs));
            }
            if !self.eat_byte(b',') {
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value<'v>, ParseError> {
        self.number_text().map(|n| Value::Number(T::text_of(n)))
    }

    fn number_text(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        self.eat_byte(b'-');
        if !self.eat_byte(b'0') && self.digits() == 0 {
            return Err(self.error("expected digits"));
        }
        if self.eat_byte(b'.') && self.digits() == 0 {
            return Err(self.error("expected digits after '.'"));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if !self.eat_byte(b'+') {
                self.eat_byte(b'-');
            }
            if self.digits() == 0 {
                return Err(self.error("expected exponent digits"));
            }
        }
        Ok(&self.text[start..self.pos])
    }

    /// A string as a value's text (see `text_of`).
    fn string(&mut self) -> Result<Cow<'v, str>, ParseError> {
        Ok(match self.string_cow()? {
            Cow::Borrowed(text) => T::text_of(text),
            Cow::Owned(text) => Cow::Owned(text),
        })
    }

    /// A string borrowed from the input when it has no escapes (the common case).
    fn string_cow(&mut self) -> Result<Cow<'a, str>, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        let start = self.pos + 1;
        let len = first_escape(&self.bytes[start..]);
        if let Some(len) = len {
            if self.bytes[start + len] == b'"' {
                self.pos = start + len + 1;
                return Ok(Cow::Borrowed(&self.text[start..start + len]));
            }
        }
        self.string_escaped().map(Cow::Owned)
    }

    fn string_escaped(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        // Room for a usual value up front (growing from empty reallocated 2-3 times).
        let mut out = String::with_capacity(64);
        loop {
            // Jump to the next byte that ends the plain run: a quote, a backslash or a control.
            let run = self.pos;
            let len = first_escape(&self.bytes[run..]);
            let Some(len) = len else {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            };
            self.pos += len;
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                out.push(self.unicode_escape()?);
                return Ok(());
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// After `\u`: four hex digits, joined with a following `\uDCxx` when they are a high
    /// surrogate. A lone surrogate becomes U+FFFD, as it does when JS hands a string to wasm.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            let save = self.pos;
            if self.eat("\\u") {
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(self.error("truncated \\u escape"))?;
        let mut v = 0;
        for d in digits {
            let n = char::from(*d)
                .to_digit(16)
                .ok_or(self.error("invalid \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_integers_are_their_decimal_text() {
        for n in (0..1_000).chain([u64::MAX, 1 << 40]) {
            let v = super::Value::from(n);
            assert_eq!(v, super::Value::Number(n.to_string().into()), "{n}");
            // Below 100 the text is borrowed (no allocation), above it owned.
            let borrowed = matches!(v, super::Value::Number(std::borrow::Cow::Borrowed(_)));
            assert_eq!(borrowed, n < 100, "{n}");
        }
    }

    #[test]
    fn first_escape_finds_the_first_special_byte_at_every_position() {
        let plain: Vec<u8> = (0x20..=0xFFu8).filter(|&b| !needs_escape(b)).collect();
        for len in 0..40 {
            let base: Vec<u8> = plain
                .iter()
                .cycle()
                .skip(len * 7)
                .take(len)
                .copied()
                .collect();
            assert_eq!(first_escape(&base), None, "{len}");
            for at in 0..len {
                for special in (0..0x20).chain([b'"', b'\\']) {
                    let mut bytes = base.clone();
                    bytes[at] = special;
                    if at + 1 < len {
                        bytes[len - 1] = b'"';
                    }
                    assert_eq!(first_escape(&bytes), Some(at), "{len} {at} {special}");
                }
            }
        }
    }

    #[test]
    fn round_trips_and_keeps_order_and_number_text() {
        let text = r#"{"b":1,"a":[true,false,null,-0.50,1e3,"x\"\\\n\u00e9\ud83d\ude00"],"c":{}}"#;
        let v = parse(text).expect("parses");
        assert_eq!(
            v.get("a").and_then(|a| a.as_array()).map(<[Json]>::len),
            Some(6)
        );
        assert_eq!(
            v.to_json(),
            "{\"b\":1,\"a\":[true,false,null,-0.50,1e3,\"x\\\"\\\\\\né😀\"],\"c\":{}}"
        );
        assert_eq!(parse(" [ ] ").expect("parses"), Json::Array(vec![]));
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "\"\u{1}\"",
            "\"\\x\"",
            "[1] 2",
            "{'a':1}",
            "\"\\u12\"",
            "nul",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(&deep).map_err(|e| e.message),
            Err("nested too deeply")
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(
            parse(r#""\ud800x""#).expect("parses"),
            Json::String("\u{FFFD}x".into())
        );
        assert_eq!(
            parse(r#""\udc00""#).expect("parses"),
            Json::String("\u{FFFD}".into())
        );
    }

    #[test]
    fn duplicate_keys_resolve_to_the_last_like_json_parse() {
        let v = parse(r#"{"a":1,"a":2}"#).expect("parses");
        assert_eq!(v.get("a"), Some(&Json::Number("2".into())));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            Json::from("a\u{1}\u{1f}\t").to_json(),
            "\"a\\u0001\\u001f\\t\""
        );
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(u64::MAX), "18446744073709551615");
    }
}
