//! `--http.config.file`'s `tls_config` against a real Prometheus serving
//! TLS and requiring a client certificate (its `--web.config.file`), with a
//! certificate authority, server and client certificates made by `openssl`:
//! `ca_file`, `cert_file`, `key_file` and `server_name` must get through,
//! and a missing `server_name` or a missing client certificate must fail
//! with a message naming the URL.

use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for `prometheus.test` and a client certificate, in `dir`.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=alertnoise test CA",
    ];
    ca.extend(ec);
    openssl(dir, &ca);
    for (name, subject, ext) in [
        (
            "server",
            "/CN=prometheus.test",
            "subjectAltName=DNS:prometheus.test\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "/CN=alertnoise", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
        let mut req = vec![
            "req",
            "-new",
            "-keyout",
            key.as_str(),
            "-out",
            csr.as_str(),
            "-subj",
            subject,
        ];
        req.extend(ec);
        openssl(dir, &req);
        write(dir, &format!("{name}.ext"), ext);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &format!("{name}.pem"),
                "-extfile",
                &format!("{name}.ext"),
            ],
        );
    }
}

fn fetch(url: &str, config: &Path, out: &Path) -> std::process::Output {
    alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        url,
        "--since",
        "5m",
        "--retries",
        "0",
        "--http.config.file",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ])
}

#[test]
fn tls_with_a_client_certificate_and_a_server_name() {
    if !have("prometheus") || !have("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    certificates(d);
    write(
        d,
        "web.yml",
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
    );
    write(d, "rules.yml", "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: Always\n        expr: vector(1)\n        for: 2s\n");
    let config = write(
        d,
        "prometheus.yml",
        "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n",
    );
    let port = free_port();
    let _prometheus = Killed(
        Command::new("prometheus")
            .current_dir(d)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", d.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--web.config.file={}", d.join("web.yml").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("https://127.0.0.1:{port}");
    // Files in the http config are relative to it.
    let good = write(
        d,
        "http-good.yml",
        "tls_config:\n  ca_file: ca.pem\n  cert_file: client.pem\n  key_file: client.key\n  server_name: prometheus.test\n",
    );
    let out = d.join("fetched");
    let start = Instant::now();
    let run = loop {
        let run = fetch(&url, &good, &out);
        if run.status.success() || start.elapsed() > Duration::from_secs(30) {
            break run;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    {
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(out.join("fetch.json").is_file());
        let rules = std::fs::read_dir(out.join("rules")).unwrap().count();
        assert_eq!(rules, 1);

        // The certificate is for prometheus.test, not for 127.0.0.1.
        let no_name = write(
            d,
            "http-no-name.yml",
            "tls_config:\n  ca_file: ca.pem\n  cert_file: client.pem\n  key_file: client.key\n",
        );
        let run = fetch(&url, &no_name, &d.join("no-name"));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("{url}/api/v1/rules")) && stderr.contains("certificate"),
            "{stderr}"
        );
        assert!(!d.join("no-name").exists());

        // Prometheus requires a client certificate.
        let no_cert = write(
            d,
            "http-no-cert.yml",
            "tls_config:\n  insecure_skip_verify: true\n",
        );
        let run = fetch(&url, &no_cert, &d.join("no-cert"));
        assert_eq!(
            run.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );

        // insecure_skip_verify with the client certificate: any server certificate will do.
        let insecure = write(d, "http-insecure.yml", "tls_config:\n  insecure_skip_verify: true\n  cert_file: client.pem\n  key_file: client.key\n");
        let run = fetch(&url, &insecure, &d.join("insecure"));
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// A process killed when dropped (also when an assertion fails).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
