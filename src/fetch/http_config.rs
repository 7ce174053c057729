//! `--http.config.file`: how to reach a server, in the YAML of Prometheus'
//! `http_config` (the file promtool and amtool take with the same flag).
//!
//! Read: `basic_auth` (`username`, `username_file`, `password`,
//! `password_file`), `authorization` (`type`, `credentials`,
//! `credentials_file`), the older `bearer_token` and `bearer_token_file`,
//! `tls_config` (`ca_file`, `ca`, `cert_file`, `cert`, `key_file`, `key`,
//! `server_name`, `insecure_skip_verify`, `min_version`), `proxy_url`,
//! `follow_redirects`, `enable_http2` and `http_headers`. Files named in it
//! are relative to the config file's folder, as in Prometheus. A key
//! Prometheus knows but alertnoise does not implement (`oauth2`,
//! `proxy_connect_header`, …) is refused by name, and so is an unknown key
//! (Prometheus reads these files strictly). Secrets are kept in [`Secret`],
//! which never prints its value.

use crate::error::{Error, Result};
use crate::problem::Problem;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::fmt;
use std::path::{Path, PathBuf};

/// A password, token or key: its value is never printed (`Debug` and
/// `Display` show `<secret>`), so it cannot reach a message or a file by
/// accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `basic_auth`.
    Basic {
        /// The user name (not a secret, as in Prometheus).
        username: String,
        /// The password.
        password: Secret,
    },
    /// `authorization` (or `bearer_token`): the header `Authorization: TYPE CREDENTIALS`.
    Header {
        /// `Bearer` unless the file says otherwise.
        scheme: String,
        /// The credentials.
        credentials: Secret,
    },
}

/// `tls_config`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    /// PEM certificates of the authorities to trust instead of the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// The client certificate chain (PEM), with [`TlsSettings::key_pem`].
    pub cert_pem: Option<Vec<u8>>,
    /// The client key (PEM).
    pub key_pem: Option<Secret>,
    /// The name the server's certificate must carry, instead of the URL's host.
    pub server_name: Option<String>,
    /// Accept any certificate (as Prometheus' `insecure_skip_verify`).
    pub insecure_skip_verify: bool,
    /// `TLS12` or `TLS13`: the oldest version to speak.
    pub min_version: Option<String>,
}

/// A parsed `http_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Credentials sent with every request.
    pub auth: Auth,
    /// TLS settings.
    pub tls: TlsSettings,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
    /// `follow_redirects` (default true).
    pub follow_redirects: bool,
    /// `enable_http2` (default true).
    pub enable_http2: bool,
    /// `http_headers`: each header's values (secrets, as Prometheus treats them).
    pub headers: Vec<(String, Secret)>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            auth: Auth::None,
            tls: TlsSettings::default(),
            proxy_url: None,
            follow_redirects: true,
            enable_http2: true,
            headers: Vec::new(),
        }
    }
}

/// Keys of Prometheus' `http_config` that alertnoise does not implement.
const NOT_IMPLEMENTED: [&str; 5] = [
    "oauth2",
    "proxy_connect_header",
    "proxy_from_environment",
    "no_proxy",
    "sigv4",
];

impl HttpConfig {
    /// Reads an `http_config` file.
    pub fn load(path: &Path) -> Result<HttpConfig> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        HttpConfig::parse(&path.display().to_string(), &text, &dir)
    }

    /// Parses the text of an `http_config` file named `name`, whose relative
    /// file names are relative to `dir`.
    pub fn parse(name: &str, text: &str, dir: &Path) -> Result<HttpConfig> {
        let reader = Reader { name, dir };
        let documents = MarkedYaml::load_from_str(text).map_err(|e| {
            let m = e.marker();
            reader.error_at(m.line(), m.col() + 1, format!("invalid YAML: {}", e.info()))
        })?;
        let mut config = HttpConfig::default();
        let Some(doc) = documents.first() else {
            return Ok(config);
        };
        let entries = match &doc.data {
            YamlData::Value(Scalar::Null) => return Ok(config),
            YamlData::Mapping(map) => map,
            _ => return Err(reader.error(doc, "an http_config file is a mapping".into())),
        };
        let mut bearer: Option<(Secret, &MarkedYaml)> = None;
        for (key, value) in entries {
            let key_text = reader.string(key)?;
            match key_text.as_str() {
                "basic_auth" => config.auth = reader.basic_auth(value)?,
                "authorization" => config.auth = reader.authorization(value)?,
                "bearer_token" => bearer = Some((Secret::new(reader.string(value)?), value)),
                "bearer_token_file" => {
                    bearer = Some((reader.secret_file(value)?, value));
                }
                "tls_config" => config.tls = reader.tls(value)?,
                "proxy_url" => config.proxy_url = Some(reader.string(value)?),
                "follow_redirects" => config.follow_redirects = reader.boolean(value)?,
                "enable_http2" => config.enable_http2 = reader.boolean(value)?,
                "http_headers" => config.headers = reader.headers(value)?,
                other if NOT_IMPLEMENTED.contains(&other) => {
                    return Err(reader.error(
                        key,
                        format!("`{other}` is not supported by alertnoise; use basic_auth, authorization or tls_config"),
                    ))
                }
                other => {
                    return Err(reader.error(key, format!("unknown key `{other}` in http_config")))
                }
            }
        }
        if let Some((credentials, node)) = bearer {
            if config.auth != Auth::None {
                return Err(reader.error(
                    node,
                    "at most one of basic_auth, authorization and bearer_token may be set".into(),
                ));
            }
            config.auth = Auth::Header {
                scheme: "Bearer".into(),
                credentials,
            };
        }
        Ok(config)
    }
}

/// Reads the nodes of one file, naming its file and line in every error.
struct Reader<'a> {
    name: &'a str,
    dir: &'a Path,
}

impl Reader<'_> {
    fn error_at(&self, line: usize, column: usize, reason: String) -> Error {
        Error::BadInput(Problem::skipped(
            self.name,
            line as u64,
            column as u64,
            reason,
        ))
    }

    fn error(&self, node: &MarkedYaml, reason: String) -> Error {
        self.error_at(node.span.start.line(), node.span.start.col() + 1, reason)
    }

    fn string(&self, node: &MarkedYaml) -> Result<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Ok(s.to_string()),
            YamlData::Value(Scalar::Integer(i)) => Ok(i.to_string()),
            YamlData::Value(Scalar::Boolean(b)) => Ok(b.to_string()),
            YamlData::Value(Scalar::Null) => Ok(String::new()),
            _ => Err(self.error(node, "expected a string".into())),
        }
    }

    fn boolean(&self, node: &MarkedYaml) -> Result<bool> {
        match &node.data {
            YamlData::Value(Scalar::Boolean(b)) => Ok(*b),
            _ => Err(self.error(node, "expected true or false".into())),
        }
    }

    fn mapping<'n>(
        &self,
        node: &'n MarkedYaml<'n>,
        what: &str,
        keys: &[&str],
    ) -> Result<Vec<(String, &'n MarkedYaml<'n>)>> {
        let YamlData::Mapping(map) = &node.data else {
            return Err(self.error(node, format!("`{what}` must be a mapping")));
        };
        let mut out = Vec::new();
        for (key, value) in map {
            let key_text = self.string(key)?;
            if !keys.contains(&key_text.as_str()) {
                return Err(self.error(
                    key,
                    format!(
                        "unknown key `{key_text}` in `{what}` (expected one of {})",
                        keys.join(", ")
                    ),
                ));
            }
            out.push((key_text, value));
        }
        Ok(out)
    }

    /// A file named in the config: relative to the config's folder.
    fn path(&self, node: &MarkedYaml) -> Result<PathBuf> {
        let name = self.string(node)?;
        let path = Path::new(&name);
        Ok(if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        })
    }

    fn file_bytes(&self, node: &MarkedYaml) -> Result<Vec<u8>> {
        let path = self.path(node)?;
        std::fs::read(&path)
            .map_err(|e| self.error(node, format!("cannot read {}: {e}", path.display())))
    }

    /// A secret read from a file, its trailing line end removed (as Prometheus does).
    fn secret_file(&self, node: &MarkedYaml) -> Result<Secret> {
        let bytes = self.file_bytes(node)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| self.error(node, "the secret file is not UTF-8".into()))?;
        Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
    }

    /// `X` or `X_file` (not both), as `basic_auth`'s password and the others.
    fn one_of(
        &self,
        node: &MarkedYaml,
        entries: &[(String, &MarkedYaml)],
        inline: &str,
        file: &str,
    ) -> Result<Option<Secret>> {
        let given = entries.iter().find(|(k, _)| k == inline);
        let from_file = entries.iter().find(|(k, _)| k == file);
        match (given, from_file) {
            (Some(_), Some(_)) => Err(self.error(
                node,
                format!("at most one of `{inline}` and `{file}` may be set"),
            )),
            (Some((_, v)), None) => Ok(Some(Secret::new(self.string(v)?))),
            (None, Some((_, v))) => Ok(Some(self.secret_file(v)?)),
            (None, None) => Ok(None),
        }
    }

    fn basic_auth(&self, node: &MarkedYaml) -> Result<Auth> {
        let keys = ["username", "username_file", "password", "password_file"];
        let entries = self.mapping(node, "basic_auth", &keys)?;
        let username = self
            .one_of(node, &entries, "username", "username_file")?
            .map(|s| s.expose().to_string())
            .unwrap_or_default();
        let password = self
            .one_of(node, &entries, "password", "password_file")?
            .unwrap_or_default();
        Ok(Auth::Basic { username, password })
    }

    fn authorization(&self, node: &MarkedYaml) -> Result<Auth> {
        let keys = ["type", "credentials", "credentials_file"];
        let entries = self.mapping(node, "authorization", &keys)?;
        let scheme = match entries.iter().find(|(k, _)| k == "type") {
            Some((_, v)) => self.string(v)?,
            None => "Bearer".to_string(),
        };
        if scheme.eq_ignore_ascii_case("basic") {
            return Err(self.error(
                node,
                "authorization type `Basic` is not allowed; use basic_auth".into(),
            ));
        }
        let credentials = self
            .one_of(node, &entries, "credentials", "credentials_file")?
            .unwrap_or_default();
        Ok(Auth::Header {
            scheme,
            credentials,
        })
    }

    fn tls(&self, node: &MarkedYaml) -> Result<TlsSettings> {
        let keys = [
            "ca",
            "ca_file",
            "cert",
            "cert_file",
            "key",
            "key_file",
            "server_name",
            "insecure_skip_verify",
            "min_version",
        ];
        let entries = self.mapping(node, "tls_config", &keys)?;
        let pem = |inline: &str, file: &str| -> Result<Option<Vec<u8>>> {
            Ok(self
                .one_of(node, &entries, inline, file)?
                .map(|s| s.expose().as_bytes().to_vec()))
        };
        let mut tls = TlsSettings {
            ca_pem: pem("ca", "ca_file")?,
            cert_pem: pem("cert", "cert_file")?,
            key_pem: self.one_of(node, &entries, "key", "key_file")?,
            ..TlsSettings::default()
        };
        if tls.cert_pem.is_some() != tls.key_pem.is_some() {
            return Err(self.error(
                node,
                "a client certificate needs both a certificate and a key".into(),
            ));
        }
        for (key, value) in &entries {
            match key.as_str() {
                "server_name" => tls.server_name = Some(self.string(value)?),
                "insecure_skip_verify" => tls.insecure_skip_verify = self.boolean(value)?,
                "min_version" => {
                    let version = self.string(value)?;
                    if !matches!(version.as_str(), "TLS12" | "TLS13") {
                        return Err(self.error(
                            value,
                            format!("min_version `{version}`: alertnoise speaks TLS12 and TLS13"),
                        ));
                    }
                    tls.min_version = Some(version);
                }
                _ => {}
            }
        }
        Ok(tls)
    }

    fn headers(&self, node: &MarkedYaml) -> Result<Vec<(String, Secret)>> {
        let YamlData::Mapping(map) = &node.data else {
            return Err(self.error(node, "`http_headers` must be a mapping".into()));
        };
        let mut out = Vec::new();
        for (name, spec) in map {
            let name = self.string(name)?;
            let keys = ["values", "secrets", "files"];
            for (key, list) in self.mapping(spec, &format!("http_headers.{name}"), &keys)? {
                let YamlData::Sequence(items) = &list.data else {
                    return Err(self.error(list, format!("`{key}` must be a list")));
                };
                for item in items {
                    let value = if key == "files" {
                        self.secret_file(item)?
                    } else {
                        Secret::new(self.string(item)?)
                    };
                    out.push((name.clone(), value));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text of the file's words and YAML's punctuation: an answer
        /// (a setting or an error naming the file), never a panic.
        #[test]
        fn any_text_is_read_or_refused_without_a_panic(
            parts in proptest::collection::vec(
                "basic_auth|authorization|tls_config|ca_file|password_file|credentials|type|server_name|insecure_skip_verify|http_headers|values|files|:|: |\n|\n  |- |\\{|\\}|\\[|\\]|true|x|'|\"|&a|\\*a|!!binary|\\PC{0,4}",
                0..24,
            ),
        ) {
            let text = parts.concat();
            if let Err(e) = HttpConfig::parse("http.yml", &text, Path::new("/nonexistent")) {
                prop_assert!(e.to_string().contains("http.yml"), "{e}");
            }
        }
    }

    fn parse(text: &str, dir: &Path) -> Result<HttpConfig> {
        HttpConfig::parse("http.yml", text, dir)
    }

    #[test]
    fn passwords_and_credentials_come_from_files_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        std::fs::write(dir.path().join("token"), "t0ken\r\n").unwrap();
        let basic = parse(
            "basic_auth:\n  username: ops\n  password_file: pw\n",
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            basic.auth,
            Auth::Basic {
                username: "ops".into(),
                password: Secret::new("s3cret")
            }
        );
        let header = parse("authorization:\n  credentials_file: token\n", dir.path()).unwrap();
        assert_eq!(
            header.auth,
            Auth::Header {
                scheme: "Bearer".into(),
                credentials: Secret::new("t0ken")
            }
        );
        // Never printed: not by Debug, not by Display.
        let shown = format!("{basic:?} {header:?} {}", Secret::new("s3cret"));
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
    }

    #[test]
    fn what_prometheus_refuses_is_refused_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.pem"), "certificate").unwrap();
        let cases = [
            (
                "basic_auth:\n  username: a\n  password: b\n  password_file: c\n",
                2,
                "at most one",
            ),
            ("tls_config:\n  ca_fil: x\n", 2, "unknown key `ca_fil`"),
            ("oauth2:\n  client_id: x\n", 1, "not supported"),
            (
                "basic_auth:\n  username: a\nbearer_token: b\n",
                3,
                "at most one",
            ),
            ("authorization:\n  type: Basic\n", 2, "use basic_auth"),
            (
                "tls_config:\n  cert_file: c.pem\n",
                2,
                "both a certificate and a key",
            ),
            ("basic_auth:\n  password_file: missing\n", 2, "cannot read"),
        ];
        for (text, line, words) in cases {
            let err = parse(text, dir.path()).unwrap_err().to_string();
            assert!(err.contains(&format!("http.yml:{line}")), "{text}: {err}");
            assert!(err.contains(words), "{text}: {err}");
        }
    }

    #[test]
    fn tls_settings_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "CA").unwrap();
        let config = parse(
            "tls_config:\n  ca_file: ca.pem\n  server_name: prom.internal\n  insecure_skip_verify: true\n  min_version: TLS13\nfollow_redirects: false\n",
            dir.path(),
        )
        .unwrap();
        assert_eq!(config.tls.ca_pem.as_deref(), Some(&b"CA"[..]));
        assert_eq!(config.tls.server_name.as_deref(), Some("prom.internal"));
        assert!(config.tls.insecure_skip_verify);
        assert_eq!(config.tls.min_version.as_deref(), Some("TLS13"));
        assert!(!config.follow_redirects);
    }
}
