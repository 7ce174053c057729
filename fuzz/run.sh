#!/usr/bin/env bash
# Runs every fuzz target (one per input parser) for SECONDS each.
#
#   fuzz/run.sh SECONDS          # e.g. fuzz/run.sh 600: ten minutes per target
#   JOBS=2 fuzz/run.sh 600       # two targets at a time
#   fuzz/run.sh 60 pagerduty_csv # only the named targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and the nightly toolchain, or
# on a stable one: FUZZ_CARGO="cargo" RUSTC_BOOTSTRAP=1 fuzz/run.sh SECONDS
# (the targets are built without a sanitizer, so stable's compiler will do).
# Each target starts from its corpus in fuzz/corpus/TARGET (kept between runs,
# not committed) and the project's test fixtures for its format as seeds.
# Crashes are saved in fuzz/artifacts/TARGET; the script lists them at the end
# and exits 1 when there are any.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
jobs=${JOBS:-1}
fixtures=../tests/fixtures

# The fixture files that seed each target.
seeds_for() {
    local h="$fixtures/handmade"
    case "$1" in
        alertmanager_webhook) echo "$fixtures/alertmanager/webhook-*.json $h/join-webhooks.jsonl" ;;
        grafana_webhook) echo "$h/grafana-webhook.json $fixtures/alertmanager/webhook-resolved.json" ;;
        alertmanager_api) echo "$fixtures/alertmanager/api-v2-alert-groups-*.json" ;;
        alertmanager_silences) echo "$fixtures/alertmanager/api-v2-silences-*.json $h/alertmanager-silences.json" ;;
        prometheus_alerts) echo "$h/prometheus-alerts.json" ;;
        series) echo "../sample-data/series/*.json $h/prometheus-alerts.json" ;;
        episodes_csv) echo "$h/episodes.csv" ;;
        reviews) echo "../sample-data/reviews.csv" ;;
        pagerduty_*) echo "$fixtures/pagerduty/* $h/pagerduty-*" ;;
        opsgenie_*) echo "$fixtures/opsgenie/* $h/opsgenie-*" ;;
        grafana_annotations) echo "$h/grafana-annotations.json" ;;
        grafana_rules_history) echo "$h/grafana-rules-history.json" ;;
        rule_files) echo "$fixtures/rules/* ../sample-data/rules/*" ;;
        prometheus_rules_api) echo "$h/prometheus-2.42-api-v1-rules.json" ;;
        alertmanager_status) echo "$h/alertmanager-api-v2-status.json" ;;
        http_config) echo "../docs/fetch.md" ;;
    esac
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(${FUZZ_CARGO:-cargo +nightly} fuzz list)
fi
${FUZZ_CARGO:-cargo +nightly} fuzz build --sanitizer none

run_one() {
    local target=$1
    mkdir -p "corpus/$target"
    for seed in $(seeds_for "$target"); do
        [ -f "$seed" ] && cp "$seed" "corpus/$target/" || true
    done
    local log="logs/$target.log"
    mkdir -p logs
    if ${FUZZ_CARGO:-cargo +nightly} fuzz run --sanitizer none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
        echo "$target: ok, $(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?') runs in ${seconds}s"
    else
        echo "$target: FAILED, see fuzz/$log and fuzz/artifacts/$target"
    fi
}
export -f run_one seeds_for
export seconds fixtures

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

if compgen -G "artifacts/*/*" >/dev/null; then
    echo "crashes found:"
    ls artifacts/*/*
    exit 1
fi
