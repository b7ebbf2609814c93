//! The validation report: every problem with a stable code, the field it is about, and a message
//! a person can act on. Errors stop the request; warnings do not.
use crate::json::Json;

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

    pub fn to_json(&self) -> Json {
        let list = |issues: &[Issue]| {
            Json::Array(
                issues
                    .iter()
                    .map(|i| {
                        Json::object([
                            ("code", Json::from(i.code)),
                            ("field", Json::from(i.field.as_str())),
                            ("message", Json::from(i.message.as_str())),
                        ])
                    })
                    .collect(),
            )
        };
        Json::object([
            ("valid", Json::from(self.is_valid())),
            ("errors", list(&self.errors)),
            ("warnings", list(&self.warnings)),
        ])
    }
}
