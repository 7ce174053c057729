//! Grafana unified alerting's webhook contact point bodies (`"version": "1"`).
//!
//! They have Alertmanager's shape (Grafana's alerting is built on it): a
//! snapshot of a group with `alerts`, each with `labels`, `startsAt`,
//! `endsAt`, `status` and `fingerprint`; Grafana adds `orgId`, `title`,
//! `state`, `values`, `dashboardURL`, `panelURL`, `silenceURL`. They are read
//! exactly as Alertmanager's bodies are (see `alertmanager_webhook.rs`). The
//! fingerprint is Grafana's own and is kept as given. See
//! `docs/formats/grafana.md`.

use super::alertmanager_webhook::{read_bodies, read_body_blocks};
use super::text_blocks::TextBlocks;
use super::{InputFile, ReadContext, Source, SourceOutput};
use crate::problem::Problem;

/// The Grafana webhook format.
pub struct GrafanaWebhook;

/// The name in the `source` column.
pub const NAME: &str = "grafana-webhook";

impl Source for GrafanaWebhook {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Grafana unified alerting webhook contact point bodies (version 1), one per file, an array, JSON lines or archiver lines"
    }

    fn detection(&self) -> &'static str {
        "JSON with \"alerts\" and Grafana's \"orgId\""
    }

    fn example(&self) -> &'static str {
        r#"{"receiver":"oncall","status":"firing","orgId":1,"version":"1","groupKey":"{}/{}:{alertname=\"High CPU\"}","title":"[FIRING:1] High CPU","state":"alerting",
  "alerts":[{"status":"firing","labels":{"alertname":"High CPU","instance":"host1"},"startsAt":"2026-10-19T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"c6eadffa33fcdf37"}]}"#
    }

    fn detect(&self, head: &str) -> bool {
        // Grafana's bodies always carry orgId; a label `version="1"` in an
        // Alertmanager body must not make it Grafana's.
        head.contains("\"alerts\"") && head.contains("\"orgId\"")
    }

    fn read(&self, file: &InputFile, text: &str, _context: &ReadContext) -> SourceOutput {
        read_bodies(file, text, NAME, "1")
    }

    fn streams(&self, head: &str) -> bool {
        super::json_records::is_json_lines(head)
    }

    fn read_blocks(
        &self,
        blocks: &mut TextBlocks,
        _context: &ReadContext,
    ) -> Result<SourceOutput, Problem> {
        read_body_blocks(blocks, NAME, "1")
    }
}
