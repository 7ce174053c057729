//! The HTTP client every fetch uses: reqwest's blocking client on rustls
//! (ring), set up from an [`HttpConfig`], with timeouts, retries with
//! backoff on connection errors and 5xx answers, `429` honoured with its
//! `Retry-After`, and errors that name the URL (never its credentials) and
//! the status with the server's own message.

use super::http_config::{Auth, HttpConfig, TlsSettings};
use crate::error::{Error, Result};
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

/// How long to wait and how often to try.
#[derive(Debug, Clone)]
pub struct Patience {
    /// The whole request's time limit.
    pub timeout: Duration,
    /// Tries after the first, on connection errors, 5xx and 429.
    pub retries: u32,
    /// The first wait; each retry waits twice as long as the one before.
    pub backoff: Duration,
    /// The longest wait a `Retry-After` may ask for.
    pub max_wait: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            timeout: Duration::from_secs(120),
            retries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// A client for one server: its base URL, credentials and TLS settings.
pub struct Client {
    http: Http,
    base: reqwest::Url,
    config: HttpConfig,
    patience: Patience,
}

/// What the caller does with a refused answer before the client retries it.
pub type Refusal<'a> = &'a dyn Fn(u16, &[u8]) -> bool;

impl Client {
    /// A client for the server at `base` (its path is kept: a Prometheus
    /// behind a prefix works).
    pub fn new(base: &str, config: HttpConfig, patience: Patience) -> Result<Client> {
        let mut url = reqwest::Url::parse(base).map_err(|e| {
            Error::Usage(format!("--url {}: not a URL ({e})", shown_url_text(base)))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Usage(format!(
                "--url {}: only http and https are supported",
                shown(&url)
            )));
        }
        if let Some(user) = (!url.username().is_empty()).then(|| url.username().to_string()) {
            // Credentials in the URL are basic auth, as in Prometheus' clients.
            if config.auth != Auth::None {
                return Err(Error::Usage(
                    "--url carries a user name and the http config sets credentials too".into(),
                ));
            }
            let password = url.password().unwrap_or_default().to_string();
            let _ = url.set_username("");
            let _ = url.set_password(None);
            return Client::new(
                url.as_str(),
                HttpConfig {
                    auth: Auth::Basic {
                        username: user,
                        password: super::http_config::Secret::new(password),
                    },
                    ..config
                },
                patience,
            );
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let mut builder = Http::builder()
            .use_preconfigured_tls(tls_config(&config.tls)?)
            .timeout(patience.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("alertnoise/", env!("CARGO_PKG_VERSION")));
        builder = match &config.proxy_url {
            Some(proxy) => builder.proxy(
                reqwest::Proxy::all(proxy)
                    .map_err(|e| Error::Usage(format!("proxy_url: not a proxy URL ({e})")))?,
            ),
            None => builder.no_proxy(),
        };
        if !config.follow_redirects {
            builder = builder.redirect(reqwest::redirect::Policy::none());
        }
        let http = builder.build().map_err(|e| Error::Fetch {
            url: shown(&url),
            status: None,
            reason: format!("cannot set up the HTTP client: {e}"),
        })?;
        Ok(Client {
            http,
            base: url,
            config,
            patience,
        })
    }

    /// The URL of `path` (relative to the base), as messages show it.
    pub fn url_of(&self, path: &str) -> String {
        self.base
            .join(path)
            .map(|u| shown(&u))
            .unwrap_or_else(|_| path.to_string())
    }

    /// GETs `path` with `query`, retrying connection errors, 5xx and 429;
    /// gives the body of a 2xx answer. An answer `stop(status, body)`
    /// accepts is not retried but returned at once as [`Error::Fetch`] with
    /// its status (a Prometheus query that timed out is split, not repeated).
    pub fn get(&self, path: &str, query: &[(&str, String)], stop: Refusal) -> Result<Vec<u8>> {
        let url = self.base.join(path).map_err(|e| Error::Fetch {
            url: path.to_string(),
            status: None,
            reason: format!("not a URL path: {e}"),
        })?;
        let request = || self.authorised(self.http.get(url.clone()).query(query));
        let mut attempt = 0;
        loop {
            let failure = match request().send() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let wait = retry_after(response.headers().get(RETRY_AFTER));
                    let body = response.bytes().map(|b| b.to_vec());
                    match body {
                        Ok(body) if (200..300).contains(&status) => return Ok(body),
                        Ok(body) => {
                            let retry = (status >= 500 || status == 429) && !stop(status, &body);
                            let failure = Error::Fetch {
                                url: shown(&url),
                                status: Some(status),
                                reason: format!("HTTP {status}: {}", server_message(&body)),
                            };
                            if !retry || attempt >= self.patience.retries {
                                return Err(failure);
                            }
                            (failure, wait)
                        }
                        Err(e) => (self.transport_error(&url, e), None),
                    }
                }
                Err(e) => (self.transport_error(&url, e), None),
            };
            let (failure, wait) = failure;
            if attempt >= self.patience.retries {
                return Err(failure);
            }
            let backoff = self.patience.backoff * 2u32.saturating_pow(attempt);
            let pause = wait.unwrap_or(backoff).min(self.patience.max_wait);
            std::thread::sleep(pause);
            attempt += 1;
        }
    }

    fn transport_error(&self, url: &reqwest::Url, e: reqwest::Error) -> Error {
        // reqwest's message names the URL with its query; say it once, ours.
        let e = e.without_url();
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            reason.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        Error::Fetch {
            url: shown(url),
            status: None,
            reason,
        }
    }

    fn authorised(&self, mut request: RequestBuilder) -> RequestBuilder {
        match &self.config.auth {
            Auth::None => {}
            Auth::Basic { username, password } => {
                request = request.basic_auth(username, Some(password.expose()));
            }
            Auth::Header {
                scheme,
                credentials,
            } => {
                if let Ok(mut value) =
                    HeaderValue::from_str(&format!("{scheme} {}", credentials.expose()))
                {
                    value.set_sensitive(true);
                    request = request.header(AUTHORIZATION, value);
                }
            }
        }
        for (name, value) in &self.config.headers {
            if let Ok(mut value) = HeaderValue::from_str(value.expose()) {
                value.set_sensitive(true);
                request = request.header(name.as_str(), value);
            }
        }
        request
    }
}

/// A URL as messages show it: no user name, no password.
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// A text that did not parse as a URL, with anything before an `@` hidden.
fn shown_url_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &text[..scheme + 3], &text[at + 1..])
        }
        _ => text.to_string(),
    }
}

/// What a refusing server said: its JSON `error` or `message` (Prometheus,
/// Alertmanager, PagerDuty and Opsgenie put it there), else the start of
/// its body.
fn server_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let said = ["error", "message"]
            .iter()
            .find_map(|key| match &value[key] {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Object(inner) => inner
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string),
                _ => None,
            });
        if let Some(text) = said {
            return text;
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "no message".into();
    }
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// A `Retry-After` header: seconds, or an HTTP date.
fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let left = when.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(left.max(0) as u64))
}

/// The rustls settings of a `tls_config`.
fn tls_config(tls: &TlsSettings) -> Result<rustls::ClientConfig> {
    let bad = |reason: String| Error::Usage(format!("tls_config: {reason}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match tls.min_version.as_deref() {
        Some("TLS13") => &[&rustls::version::TLS13],
        _ => rustls::ALL_VERSIONS,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| bad(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if tls.insecure_skip_verify {
        Arc::new(AnyCertificate(provider.clone()))
    } else {
        let mut roots = RootCertStore::empty();
        match &tls.ca_pem {
            Some(pem) => {
                let certs = CertificateDer::pem_slice_iter(pem)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(format!("ca: not PEM certificates ({e})")))?;
                if certs.is_empty() {
                    return Err(bad("ca: no certificate in it".into()));
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| bad(format!("ca: a certificate is not usable ({e})")))?;
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| bad(e.to_string()))?;
        match &tls.server_name {
            Some(name) => {
                let name = ServerName::try_from(name.clone())
                    .map_err(|_| bad(format!("server_name `{name}` is not a host name")))?;
                Arc::new(NamedServer {
                    inner: webpki,
                    name,
                })
            }
            None => webpki,
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match (&tls.cert_pem, &tls.key_pem) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_slice_iter(cert)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| bad(format!("cert: not PEM certificates ({e})")))?;
            let key = PrivateKeyDer::from_pem_slice(key.expose().as_bytes())
                .map_err(|_| bad("key: not a PEM private key".into()))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                bad(format!(
                    "the client certificate and key do not go together ({e})"
                ))
            })
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// Verifies the server's certificate for `tls_config.server_name` instead
/// of the URL's host.
#[derive(Debug)]
struct NamedServer {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NamedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure_skip_verify`: any certificate is accepted (the handshake's
/// signatures are still checked, so the connection is to the key holder).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url_are_never_shown() {
        let url = reqwest::Url::parse("https://ops:s3cret@prom.example/api/v1/rules").unwrap();
        assert_eq!(shown(&url), "https://prom.example/api/v1/rules");
        assert_eq!(
            shown_url_text("https://ops:s3cret@bad host"),
            "https://bad host"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let seconds = HeaderValue::from_static("7");
        assert_eq!(retry_after(Some(&seconds)), Some(Duration::from_secs(7)));
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(retry_after(Some(&past)), Some(Duration::ZERO));
        assert_eq!(retry_after(Some(&HeaderValue::from_static("soon"))), None);
    }

    #[test]
    fn the_server_says_why() {
        let prometheus = br#"{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries"}"#;
        assert!(server_message(prometheus).starts_with("exceeded maximum resolution"));
        let pagerduty = br#"{"error":{"message":"Invalid Input Provided","code":2001}}"#;
        assert_eq!(server_message(pagerduty), "Invalid Input Provided");
        assert_eq!(server_message(b""), "no message");
    }
}
