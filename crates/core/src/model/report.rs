//! The validation report: every problem with a stable code, the field it is about, and a message
//! a person can act on. Errors stop the request; warnings do not.
use crate::json::{self, Json, ObjectWriter, Record, RecordWriter, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Stable, dotted code, e.g. `website.client_user_agent_missing`.
    pub code: &'static str,
    /// The config key or payload field concerned, e.g. `user_data.client_user_agent`.
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

impl Report {
    pub fn error(
        &mut self,
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.errors.push(Issue {
            code,
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn warn(
        &mut self,
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.warnings.push(Issue {
            code,
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn extend(&mut self, other: Report) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }

    /// `(code, field)` of every error, then every warning (for checks and tests).
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.errors
            .iter()
            .chain(&self.warnings)
            .map(|i| (i.code, i.field.as_str()))
            .collect()
    }

    pub fn has(&self, code: &str) -> bool {
        self.errors
            .iter()
            .chain(&self.warnings)
            .any(|i| i.code == code)
    }

    /// The same as a value (for log records).
    pub fn to_json(&self) -> Json {
        let mut text = String::new();
        self.write_json(&mut text);
        json::parse(&text).unwrap_or(Value::Null)
    }
}

/// `{valid, errors: [{code, field, message}], warnings: [...]}` (`write_json`), or
/// `[valid, errors, warnings]` (`write_row`: the wire result's form; see
/// `BuildOutput::write_wire`).
impl Record for Report {
    fn write_fields(&self, w: &mut impl RecordWriter) {
        w.bool("valid", self.is_valid())
            .list("errors", &self.errors, Issue::write_json)
            .list("warnings", &self.warnings, Issue::write_json);
    }
}

impl Issue {
    /// `{code, field, message}`, appended to `out`.
    pub fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.str("code", self.code)
            .str("field", &self.field)
            .str("message", &self.message);
        o.end();
    }
}
