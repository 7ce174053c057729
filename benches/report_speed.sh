#!/usr/bin/env bash
# Prints how fast `alertnoise report` reads a large webhook archive and how much memory it needs.
# Usage: benches/report_speed.sh [WEEKS]   (default 260: five years of the sample company's alerts)
# Figures, not pass/fail: the machines are shared and noisy; compare runs on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
weeks="${1:-260}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertnoise-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/alertnoise"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" sample --out "$work/data" --weeks "$weeks" >/dev/null
# Uncompress so the figure is about parsing, then also time the gzipped form.
mkdir -p "$work/plain"
for f in "$work"/data/alertmanager/*; do
  case "$f" in *.gz) gzip -dc "$f" > "$work/plain/$(basename "${f%.gz}")" ;; *) cp "$f" "$work/plain/" ;; esac
done
bytes=$(du -sb "$work/plain" | cut -f1)
lines=$(cat "$work"/plain/* | wc -l)
run() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" report "$@" --out "$work/out-$label" >/dev/null
  read -r secs kib < "$work/time"
  episodes=$(python3 -c "import json;print(json.load(open('$work/out-$label/summary.json'))['counts']['episodes_total'])")
  awk -v l="$label" -v s="$secs" -v k="$kib" -v b="$bytes" -v n="$lines" -v e="$episodes" 'BEGIN {
    printf "%-8s %8.2f s  %8.1f MB/s  %10.0f bodies/s  %8d episodes  peak RSS %7.1f MiB\n", l, s, b/1048576/s, n/s, e, k/1024 }'
}
printf "input: %d weeks, %.1f MiB of webhook JSON lines, %d notifications\n" "$weeks" "$(echo "$bytes/1048576" | bc -l)" "$lines"
run plain "$work/plain" --reviews "$work/data/reviews.csv"
run gzip "$work/data/alertmanager" --reviews "$work/data/reviews.csv"
# The same with rule files and a threshold series: advice replays every rule over the ladder.
run advice "$work/data/alertmanager" --reviews "$work/data/reviews.csv" --rules "$work/data/rules" \
  --series "RabbitmqQueueDepth=$work/data/series/RabbitmqQueueDepth.json"
