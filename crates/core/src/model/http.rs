//! HTTP requests the wasm hands the host to send: Meta's (`HttpRequest`, built by
//! `crate::request`) and any other (`Outgoing`: identity calls, health probes).
use crate::json::{ArrayWriter, Json, Key, ObjectWriter, RecordWriter, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Which of the tag's pixels this request is for: its place in the config's list. A single
    /// build's wire result names its requests by it (`BuildOutput::write_wire`).
    pub pixel: usize,
    pub pixel_id: String,
    pub url: String,
    pub method: &'static str,
    /// Always Meta's JSON headers (`JSON_HEADERS`).
    pub headers: &'static [(&'static str, &'static str)],
    /// The exact body to send.
    pub body: String,
}

impl HttpRequest {
    /// Everything but the body, into a record being written (the body travels on its own;
    /// see `BuildOutput::write_wire`).
    pub fn write_head(&self, w: &mut impl RecordWriter) {
        w.str("pixelId", &self.pixel_id)
            .str("url", &self.url)
            .str("method", self.method);
        let mut headers = ObjectWriter::new(w.field("headers"));
        for (name, value) in self.headers {
            headers.str(name, value);
        }
        headers.end();
    }

    /// `[pixelId, url, method, headers]` (a row of `requestHeads`, which a single build's wire
    /// result names by index), appended to `out`.
    pub fn write_row(&self, out: &mut String) {
        let mut a = ArrayWriter::new(out);
        self.write_head(&mut a);
        a.end();
    }

    /// `{pixelId, url, method, headers, body}`, appended to `out`.
    pub fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        self.write_head(&mut o);
        o.str("body", &self.body);
        o.end();
    }
}

/// Any other HTTP request the wasm asks the host to send (identity calls, health probes): the
/// host only performs it and hands back what it came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub method: &'static str,
    /// Secrets (bearer tokens) travel here, never in `url`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl Outgoing {
    /// `{url, method, headers, body?}` for the host's `fetch`.
    pub fn to_json(&self) -> Json {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (Key::from(*k), Json::from(v.as_str())))
            .collect();
        let mut out = Json::object([
            ("url", Json::from(self.url.as_str())),
            ("method", Json::from(self.method)),
            ("headers", Value::Object(headers)),
        ]);
        if let Some(body) = &self.body {
            out.set("body", Json::from(body.as_str()));
        }
        out
    }
}
