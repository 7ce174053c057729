//! A YAML file's text beside the nodes saphyr read from it: character
//! positions turned into bytes, errors that name the file, line and column,
//! and scalars as the Go programs we imitate read them into string fields.

use crate::error::Error;
use crate::problem::Problem;
use saphyr::{MarkedYaml, Scalar, YamlData};

/// A YAML file's name and text, for positions and messages.
pub struct YamlText<'a> {
    /// The file's name as the user gave it.
    pub name: &'a str,
    /// The whole text, unchanged.
    pub text: &'a str,
    /// Byte offset of every character, only when the text is not ASCII.
    char_bytes: Option<Vec<usize>>,
}

impl<'a> YamlText<'a> {
    /// The text of file `name`.
    pub fn new(name: &'a str, text: &'a str) -> Self {
        let char_bytes = (!text.is_ascii()).then(|| {
            let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            v.push(text.len());
            v
        });
        YamlText {
            name,
            text,
            char_bytes,
        }
    }

    /// The file's YAML documents, each node with its position; invalid YAML
    /// is an error at its line and column.
    pub fn documents(&self) -> crate::error::Result<Vec<MarkedYaml<'a>>> {
        use saphyr::LoadableYamlNode;
        MarkedYaml::load_from_str(self.text).map_err(|e| {
            let m = e.marker();
            self.error_at(
                m.line() as u64,
                m.col() as u64 + 1,
                format!("invalid YAML: {}", e.info()),
            )
        })
    }

    /// The byte offset of saphyr's character index.
    pub fn byte(&self, char_index: usize) -> usize {
        match &self.char_bytes {
            Some(v) => v.get(char_index).copied().unwrap_or(self.text.len()),
            None => char_index.min(self.text.len()),
        }
    }

    /// An input error at a line and (1-based) column of this file.
    pub fn error_at(&self, line: u64, column: u64, reason: String) -> Error {
        Error::BadInput(Problem::skipped(self.name, line, column, reason))
    }

    /// An input error at a node.
    pub fn error(&self, node: &MarkedYaml, reason: String) -> Error {
        let m = node.span.start;
        self.error_at(m.line() as u64, m.col() as u64 + 1, reason)
    }

    /// A scalar's value as Go's YAML reads it into a string field: strings
    /// as they are, other plain scalars (`1`, `0.5`, `true`) as written in
    /// the file; `None` for null and for collections.
    pub fn scalar_text(&self, node: &MarkedYaml) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Null) => None,
            YamlData::Value(_) => {
                let start = self.byte(node.span.start.index());
                let end = self.byte(node.span.end.index());
                Some(self.text.get(start..end)?.trim().to_string())
            }
            _ => None,
        }
    }
}

/// The value under `key` in a mapping node.
pub fn get<'n>(node: &'n MarkedYaml<'n>, key: &str) -> Option<&'n MarkedYaml<'n>> {
    let YamlData::Mapping(map) = &node.data else {
        return None;
    };
    map.iter()
        .find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key))
        .map(|(_, v)| v)
}
