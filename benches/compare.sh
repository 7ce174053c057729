#!/usr/bin/env bash
# alertnoise beside the tools a user would otherwise reach for (DuckDB SQL, Python polars, pandas),
# on the same files, in one run, alternating; every reference's per-rule figures are checked
# against alertnoise's rules.csv first. Figures, not pass/fail: the machines are shared and noisy.
#
# Usage: benches/compare.sh [EPISODES ...]       (default: 1000000 4000000)
# W1 is an episodes CSV of EPISODES episodes (benches/w1_episodes.py): every per-rule metric.
# W2 is an archive of Alertmanager webhook notifications (benches/w2_webhooks.py) of each size in
# $W2 megabytes (default "300"; "300 2000" for the issue's two sizes; "" for none): rebuilding the
# episodes and their notification counts, against DuckDB.
# Each W1 size is also reported with --rules (benches/w1_rules.py: the 500 rules as a Prometheus rule
# file, so every rule gets its advice): the row "alertnoise+rules" shows what the advice costs.
# The row "alertnoise-csv" is `report --outputs csv`: rules.csv alone (checked byte-equal to the
# full report's), the same work as the references; the last column compares them with it.
# Environment: ROUNDS (default 3: each tool runs this many times per size, alternating; the
# median is reported), BENCH_DIR (default /tmp/alertnoise-bench: generated inputs are kept
# there and reused), ALERTNOISE (a binary to measure instead of building the release one),
# REFERENCES (default "duckdb polars pandas"), WARM_GIB (touch this many GiB of memory once before
# measuring: on a freshly booted virtual machine the host backs each page of the guest's memory at
# its first touch, and the first runs pay it; the kernel hands freed memory back within seconds, so
# it changes little later; BENCHMARKS.md, Method and round 14).
# Needs: python3 with benches/requirements.txt installed, /usr/bin/time (Debian's `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(1000000 4000000)
rounds="${ROUNDS:-3}"
dir="${BENCH_DIR:-/tmp/alertnoise-bench}"
references=(${REFERENCES:-duckdb polars pandas})
mkdir -p "$dir"
python3 -c "import duckdb, polars, pandas, numpy, pyarrow" 2>/dev/null || {
  echo "benches/compare.sh: the references need Python packages: pip install -r benches/requirements.txt" >&2
  exit 2
}
[ -x /usr/bin/time ] || { echo "benches/compare.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
if [ -z "${ALERTNOISE:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertnoise-target}"
  cargo build --release --quiet
  ALERTNOISE="$CARGO_TARGET_DIR/release/alertnoise"
fi
if [ -n "${WARM_GIB:-}" ]; then
  python3 -c "
import mmap, sys
size = int(float(sys.argv[1]) * 2**30)
memory = mmap.mmap(-1, size)
for at in range(0, size, 4096):
    memory[at] = 1
" "$WARM_GIB"
fi
echo "alertnoise: $("$ALERTNOISE" --version); $(nproc) cores; $(python3 -c 'import duckdb, polars, pandas; print("duckdb", duckdb.__version__, "polars", polars.__version__, "pandas", pandas.__version__)')"

# run NAME COMMAND...: one timed run; appends "NAME seconds kib" to $dir/times.
run() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$dir/time.$name" "$@" >/dev/null 2>"$dir/stderr.$name" || {
    echo "$name failed:" >&2; cat "$dir/stderr.$name" >&2; exit 1; }
  echo "$name $(cat "$dir/time.$name")" >> "$dir/times"
}

# table FILE BYTES UNITS UNIT-NAME: the median of each tool's runs in $dir/times, and its ratio to alertnoise.
table() {
  python3 - "$dir/times" "$1" "$2" "$3" <<'PY'
import statistics, sys
times, size, units, unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(times):
    name, seconds, kib = line.split()
    runs.setdefault(name, []).append((float(seconds), int(kib)))
median = {name: statistics.median(s for s, _ in r) for name, r in runs.items()}
ours = median["alertnoise"]
alone = median.get("alertnoise-csv")
print(f"{'tool':<17}{'wall s':>9}{'MB/s':>9}{unit + '/s':>18}{'peak RSS MiB':>14}  {'report is':<16}rules.csv alone is")
for name, r in runs.items():
    s = median[name]
    rss = max(k for _, k in r) / 1024
    if name == "alertnoise" or ours <= 0:
        ratio, ratio_alone = "", ""
    elif name.startswith("alertnoise"):
        ratio, ratio_alone = f"{(s / ours - 1) * 100:+.0f} % time", ""
    else:
        ratio = f"{s / ours:.2f}x as fast"
        ratio_alone = f"{s / alone:.2f}x as fast" if alone else ""
    print(f"{name:<17}{s:>9.2f}{size / 1e6 / s:>9.1f}{units / s:>18,.0f}{rss:>14.0f}  {ratio:<16}{ratio_alone}")
PY
}

rules="$dir/w1-rules.yml"
[ -s "$rules" ] || python3 benches/w1_rules.py "$rules"
for n in "${sizes[@]}"; do
  csv="$dir/w1-$n.csv"
  [ -s "$csv" ] || python3 benches/w1_episodes.py "$n" "$csv"
  bytes=$(stat -L -c %s "$csv")
  : > "$dir/times"
  for ((r = 1; r <= rounds; r++)); do
    rm -rf "$dir/out-alertnoise"
    run alertnoise "$ALERTNOISE" report "$csv" --out "$dir/out-alertnoise"
    rm -rf "$dir/out-rules"
    run alertnoise+rules "$ALERTNOISE" report "$csv" --rules "$rules" --out "$dir/out-rules"
    rm -rf "$dir/out-csv"
    run alertnoise-csv "$ALERTNOISE" report "$csv" --outputs csv --out "$dir/out-csv"
    for ref in "${references[@]}"; do
      run "$ref" python3 "benches/reference/${ref}_metrics.py" "$csv" "$dir/ref-$ref.csv"
    done
  done
  echo
  printf 'W1: %d episodes, %.0f MB CSV, 500 rules; median of %d alternating runs\n' "$n" "$(echo "$bytes/1000000" | bc -l)" "$rounds"
  reference_outputs=()
  for ref in "${references[@]}"; do reference_outputs+=("$dir/ref-$ref.csv"); done
  cmp -s "$dir/out-alertnoise/rules.csv" "$dir/out-csv/rules.csv" \
    || { echo "--outputs csv wrote another rules.csv than the full report" >&2; exit 1; }
  python3 benches/check_equal.py "$dir/out-alertnoise/rules.csv" "${reference_outputs[@]}" \
    | sed "s|$dir/ref-||; s|\.csv:|:|" || { echo "the references disagree with alertnoise: figures not comparable" >&2; exit 1; }
  table "$bytes" "$n" episodes
done

for mb in ${W2-300}; do
  archive="$dir/w2-$mb.jsonl"
  [ -s "$archive" ] || python3 benches/w2_webhooks.py "$mb" "$archive"
  bytes=$(stat -L -c %s "$archive")
  : > "$dir/times"
  for ((r = 1; r <= rounds; r++)); do
    rm -rf "$dir/out-alertnoise"
    run alertnoise "$ALERTNOISE" report "$archive" --out "$dir/out-alertnoise"
    rm -rf "$dir/out-csv"
    run alertnoise-csv "$ALERTNOISE" report "$archive" --outputs csv --out "$dir/out-csv"
    run duckdb python3 benches/reference/duckdb_webhooks.py "$archive" "$dir/ref-w2.csv"
  done
  cmp -s "$dir/out-alertnoise/rules.csv" "$dir/out-csv/rules.csv" \
    || { echo "--outputs csv wrote another rules.csv than the full report" >&2; exit 1; }
  notifications=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['notifications'])" "$dir/out-alertnoise/summary.json")
  echo
  printf 'W2: %.0f MB of webhook notifications (JSON lines), %d notifications of alerts; median of %d alternating runs\n' \
    "$(echo "$bytes/1000000" | bc -l)" "$notifications" "$rounds"
  python3 benches/check_equal.py --columns episodes,notifications "$dir/out-alertnoise/rules.csv" "$dir/ref-w2.csv" \
    | sed "s|$dir/ref-w2.csv|duckdb|" || { echo "DuckDB's episodes disagree with alertnoise: figures not comparable" >&2; exit 1; }
  table "$bytes" "$notifications" notifications
done
