//! The "Noisiest instances" section of `report.md` and `instances.json`:
//! per noisy rule, the hosts or jobs its noise comes from.

use super::markdown::{md_code, md_prose};
use crate::metrics::instances::RuleInstances;

/// How many rules the section lists (all are in `instances.json`).
pub const RULES_SHOWN: usize = 10;

/// `instances.json`: every noisy rule's instances as pretty JSON.
pub fn json(rules: &[RuleInstances]) -> crate::error::Result<Vec<u8>> {
    super::pretty_json(&rules, "instances.json")
}

/// An instance's labels as `name=value, …` (its fingerprint when it has none
/// that differ).
pub fn instance_name(instance: &crate::metrics::instances::NoisyInstance) -> String {
    if instance.labels.is_empty() {
        return instance.fingerprint.clone();
    }
    let pairs: Vec<String> = (instance.labels.iter())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    pairs.join(", ")
}

/// `report.md` with the section before its Recommendations (or at the end).
pub fn insert_section(page: &str, rules: &[RuleInstances]) -> String {
    if rules.is_empty() {
        return page.to_string();
    }
    let mut section = String::from(
        "## Noisiest instances\n\nWhere each noisy rule's noise comes from: its instances by noisy episodes \
         (short, refires, or reviewed as needing no action). When a few instances make most of it, \
         the fix is often that host or job, not the rule. All of them: `instances.json`.\n\n\
         | rule | instances | noisiest | their share of the noise |\n|---|---:|---|---:|\n",
    );
    for r in rules.iter().take(RULES_SHOWN) {
        let top: Vec<String> = (r.top.iter())
            .map(|i| {
                format!(
                    "`{}` ({} of {})",
                    md_code(&instance_name(i)),
                    i.noisy_episodes,
                    i.episodes
                )
            })
            .collect();
        section.push_str(&format!(
            "| {} | {} | {} | {:.0} % |\n",
            md_prose(&r.rule),
            r.instances,
            top.join(", "),
            r.listed_share * 100.0
        ));
    }
    section.push('\n');
    super::insert_before(page, "Recommendations", &section)
}
