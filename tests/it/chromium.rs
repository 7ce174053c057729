//! The HTML pages in a real browser: Debian's `chromium`, headless, driven
//! over the DevTools protocol. Each page must load with no console error, no
//! uncaught exception, no CSP violation and no network request besides the
//! page itself; its tables must sort; hostile labels must stay text; and a
//! screenshot must show something.

use super::common::{bin, have, run_ok, sample_advice};
use base64::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Kills the browser when dropped, also when a test fails while starting it.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless Chromium with one page, and what it reported.
struct Browser {
    _child: Killed,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// What one page load showed.
struct Loaded {
    /// Console errors, exceptions and log errors (CSP violations among them).
    errors: Vec<String>,
    /// URLs requested other than the page.
    requests: Vec<String>,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1100,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let mut child = Killed(child);
        // Chromium prints the DevTools address on stderr once it listens.
        let stderr = child.0.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let browser_url = rx
            .recv_timeout(Duration::from_secs(90))
            .expect("chromium did not report its DevTools address");
        let port = browser_url
            .trim_start_matches("ws://")
            .split(['/', ':'])
            .nth(1)
            .unwrap()
            .to_string();
        let page_url = page_target(&port);
        let (ws, _) = tungstenite::connect(page_url.as_str()).expect("connect to the page");
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            // A browser that stops answering fails the test instead of hanging it.
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
        }
        let mut browser = Browser {
            _child: child,
            ws,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        };
        for domain in ["Runtime", "Log", "Network", "Page"] {
            browser.call(&format!("{domain}.enable"), json!({}));
        }
        browser
    }

    /// The next JSON message from the browser (the socket's read timeout
    /// fails the test if it stops answering); `what` names what we wait for.
    fn next_message(&mut self, what: &str) -> Value {
        loop {
            let message = self
                .ws
                .read()
                .unwrap_or_else(|e| panic!("{what}: reading from chromium: {e}"));
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// Sends a command and returns its result, keeping the events that came first.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(text)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "{method}: no answer");
            let value = self.next_message(method);
            if value["id"] == json!(id) {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// Waits for an event by method name.
    fn wait_for(&mut self, method: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.events.iter().any(|e| e["method"] == method) {
            assert!(Instant::now() < deadline, "no {method}");
            let value = self.next_message(method);
            self.events.push(value);
        }
    }

    /// Loads a file and reports its errors and requests.
    fn load(&mut self, file: &Path) -> Loaded {
        self.events.clear();
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for("Page.loadEventFired");
        // Anything the page's script logs on load has arrived once this answers.
        self.eval("1");
        let mut errors = Vec::new();
        let mut requests = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error" | "assert" | "warning")) =>
                {
                    errors.push(format!("console.{}: {}", p["type"], p["args"]));
                }
                "Runtime.exceptionThrown" => {
                    errors.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded"
                    if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) =>
                {
                    errors.push(format!("log: {}", p["entry"]["text"]));
                }
                "Network.requestWillBeSent" => {
                    let requested = p["request"]["url"].as_str().unwrap_or("").to_string();
                    if requested != url {
                        requests.push(requested);
                    }
                }
                _ => {}
            }
        }
        Loaded { errors, requests }
    }

    /// Evaluates an expression in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// A PNG screenshot of the visible part of the page, decoded to RGBA pixels.
    fn screenshot(&mut self) -> (u32, u32, Vec<u8>) {
        let result = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(result["data"].as_str().unwrap())
            .unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        pixels.truncate(info.buffer_size());
        let channels = info.color_type.samples();
        let rgba: Vec<u8> = pixels
            .chunks(channels)
            .flat_map(|p| [p[0], p[1 % channels], p[2 % channels], 255])
            .collect();
        (info.width, info.height, rgba)
    }
}

/// The DevTools WebSocket address of the browser's page.
fn page_target(port: &str) -> String {
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // The DevTools server keeps the connection open: read the headers, then
    // as many bytes as Content-Length says.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let body = loop {
        let n = stream.read(&mut chunk).expect("DevTools /json/list answer");
        assert!(n > 0, "DevTools closed the connection");
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .expect("Content-Length");
        if body.len() >= length {
            break body[..length].to_string();
        }
    };
    let body = body.as_str();
    let targets: Value = serde_json::from_str(body).expect("DevTools target list");
    targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .expect("a page target")
        .to_string()
}

/// Whether a screenshot shows something: enough pixels that are not the
/// background, in more than a few colours.
fn assert_not_blank((width, height, rgba): (u32, u32, Vec<u8>), what: &str) {
    let pixels: Vec<&[u8]> = rgba.chunks(4).collect();
    assert_eq!(pixels.len(), (width * height) as usize);
    let background = pixels[0];
    let drawn = pixels.iter().filter(|p| **p != background).count();
    let colours: std::collections::BTreeSet<&[u8]> = pixels.iter().copied().collect();
    assert!(
        drawn * 100 > pixels.len() * 3 && colours.len() > 20,
        "{what}: the screenshot looks blank ({drawn} of {} pixels drawn, {} colours)",
        pixels.len(),
        colours.len()
    );
}

fn assert_clean(loaded: &Loaded, what: &str) {
    assert!(loaded.errors.is_empty(), "{what}: {:#?}", loaded.errors);
    assert!(
        loaded.requests.is_empty(),
        "{what} made network requests: {:#?}",
        loaded.requests
    );
}

/// The texts of one column of a table, top to bottom.
fn column(browser: &mut Browser, table: &str, index: usize) -> Vec<String> {
    let value = browser.eval(&format!(
        "Array.from(document.querySelectorAll('{table} tbody tr')).map(r => r.cells[{index}].textContent.trim())"
    ));
    serde_json::from_value(value).unwrap()
}

fn click_header(browser: &mut Browser, table: &str, index: usize) {
    browser.eval(&format!(
        "document.querySelectorAll('{table} thead th')[{index}].click()"
    ));
}

#[test]
fn the_sample_report_renders_cleanly_and_its_tables_sort() {
    if !have("chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    sample_advice(
        &out,
        &[
            "--series",
            "RabbitmqQueueDepth=sample-data/series/RabbitmqQueueDepth.json",
            "--alertmanager-config",
            "sample-data/alertmanager.yml",
        ],
    );
    let mut browser = Browser::start();
    let loaded = browser.load(&out.join("report.html"));
    assert_clean(&loaded, "report.html");
    // Every chart is there: leaderboard, heatmap, a histogram per noisy rule,
    // and a trade-off curve per for/keep_firing_for/threshold recommendation.
    let svgs = browser.eval("document.querySelectorAll('figure svg').length");
    let advice: Value =
        serde_json::from_slice(&std::fs::read(out.join("advice.json")).unwrap()).unwrap();
    let tradeoffs = advice["advice"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            matches!(
                a["kind"].as_str(),
                Some("raise_for" | "keep_firing_for" | "threshold")
            )
        })
        .count();
    let rules: Value =
        serde_json::from_slice(&std::fs::read(out.join("rules.json")).unwrap()).unwrap();
    let noisy = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["noise_score"].as_f64().unwrap_or(0.0) > 0.0)
        .count()
        .min(10);
    assert_eq!(svgs, json!(2 + noisy + tradeoffs), "charts on the page");
    assert_not_blank(browser.screenshot(), "report.html");

    // Sorting the rules table by episodes (a number column), then again.
    let episodes = |b: &mut Browser| -> Vec<f64> {
        column(b, "#rules", 2)
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    };
    let before = episodes(&mut browser);
    click_header(&mut browser, "#rules", 2);
    let ascending = episodes(&mut browser);
    let mut expected = before.clone();
    expected.sort_by(f64::total_cmp);
    assert_eq!(ascending, expected, "ascending by episodes");
    click_header(&mut browser, "#rules", 2);
    let descending = episodes(&mut browser);
    expected.reverse();
    assert_eq!(descending, expected, "descending by episodes");
    // By name: text order.
    click_header(&mut browser, "#rules", 0);
    let names = column(&mut browser, "#rules", 0);
    let mut sorted = names.clone();
    sorted.sort_by_key(|a| a.to_lowercase());
    assert_eq!(names, sorted, "ascending by rule");
    assert_eq!(
        browser.eval("document.querySelector('#rules thead th').getAttribute('aria-sort')"),
        json!("ascending")
    );
}

/// Rule names and labels an attacker (or an unlucky templating job) could put in alerts.
const HOSTILE: [&str; 3] = [
    "<script>window.__pwned='script'</script>",
    "\"><img src=x onerror=\"window.__pwned='img'\">",
    "Latency' onmouseover='window.__pwned=1",
];

#[test]
fn hostile_labels_render_as_text() {
    if !have("chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Episodes CSV: three rules named by HOSTILE, short and flapping (so
    // they chart and get sections), with hostile label values.
    let mut csv = String::from("rule,starts_at,ends_at,fingerprint,labels,severity\n");
    for (r, name) in HOSTILE.iter().enumerate() {
        for i in 0..12 {
            let start = 1_794_800_000 + i * 3_600 + r as i64 * 600;
            let labels =
                serde_json::to_string(&json!({"instance": name, "team": "<b>ops</b>"})).unwrap();
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            csv.push_str(&format!(
                "{},{},{},,{},{}\n",
                quote(name),
                start,
                start + 60 + i * 30,
                quote(&labels),
                quote("<i>critical</i>")
            ));
        }
    }
    let input = dir.path().join("hostile.csv");
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("report");
    run_ok(bin().args([
        "report",
        input.to_str().unwrap(),
        "--by",
        "instance",
        "--out",
        out.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in HOSTILE {
        assert!(
            !html.contains(name),
            "{name} appears unescaped in report.html"
        );
    }
    let mut browser = Browser::start();
    let loaded = browser.load(&out.join("report.html"));
    assert_clean(&loaded, "report.html with hostile labels");
    assert_eq!(browser.eval("typeof window.__pwned"), json!("undefined"));
    assert_eq!(
        browser.eval("document.querySelectorAll('body script').length"),
        json!(1)
    );
    assert_eq!(
        browser.eval("document.querySelectorAll('img, b, i').length"),
        json!(0)
    );
    let text = browser.eval("document.body.textContent");
    let text = text.as_str().unwrap();
    for name in HOSTILE {
        assert!(text.contains(name), "{name} is not shown as text");
    }
    // In the charts too: the SVG text of the leaderboard holds the names.
    let svg_text = browser.eval(
        "Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n')",
    );
    assert!(
        svg_text.as_str().unwrap().contains("<script>"),
        "chart labels"
    );
    assert_not_blank(browser.screenshot(), "report.html with hostile labels");
}

#[test]
fn the_compare_and_retro_pages_render_cleanly() {
    if !have("chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = super::common::root().join("reports/sample");
    let compare = dir.path().join("compare.html");
    run_ok(
        bin()
            .args(["compare"])
            .arg(&sample)
            .arg(&sample)
            .arg("--out")
            .arg(&compare),
    );
    let retro = dir.path().join("retro.html");
    run_ok(bin().current_dir(super::common::root()).args([
        "retro",
        "sample-data/alertmanager",
        "--reviews",
        "sample-data/reviews.csv",
        "--from",
        "2026-11-10T00:00:00Z",
        "--to",
        "2026-11-11T00:00:00Z",
        "--incident-start",
        "2026-11-10T02:00:00Z",
        "--incident-end",
        "2026-11-10T05:00:00Z",
        "--out",
        retro.to_str().unwrap(),
    ]));
    let mut browser = Browser::start();
    for page in [&compare, &retro] {
        let loaded = browser.load(page);
        assert_clean(&loaded, &page.display().to_string());
        assert_not_blank(browser.screenshot(), &page.display().to_string());
    }
    // The retro's timeline sorts by start time (its data-sort), not by the text.
    browser.load(&retro);
    click_header(&mut browser, "#timeline", 2);
    let keys: Vec<i64> = serde_json::from_value(browser.eval(
        "Array.from(document.querySelectorAll('#timeline tbody tr')).map(r => Number(r.cells[2].dataset.sort))",
    ))
    .unwrap();
    assert!(keys.len() > 3, "{keys:?}");
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    assert_eq!(
        browser.eval("document.querySelectorAll('figure svg').length"),
        json!(1)
    );
}
