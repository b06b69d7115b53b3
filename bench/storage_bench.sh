#!/usr/bin/env bash
# Runs the storage micro benchmarks and, in the same run on the same machine, the reference tools
# over the same bytes, then prints one table: our figure, the reference figure, ours / reference.
#
#   bench/storage_bench.sh [BUILD_DIR]      (default: /work/main/build)
#
# Every rate is MB (10^6 bytes) per CPU-second (user + sys, all threads), single-threaded:
#   ours        Google Benchmark's process CPU time, median of REPS repetitions;
#   references  bash `time`'s user + sys of the CLI over a file in the page cache (read 4 times
#               over), median of REPS runs. The CLI figures include reading the file and writing
#               to /dev/null; zstd's builtin bench (-b: in memory, 64 KiB blocks like our
#               records) is given too, timed by zstd itself in wall time (one thread: wall ~ CPU).
# Needs: jq, b2sum (coreutils), zstd, column (util-linux).
set -euo pipefail

BUILD_DIR=${1:-/work/main/build}
REPS=${REPS:-5}
BENCH="$BUILD_DIR/bench/storage_bench"
if [[ ! -x "$BENCH" ]]; then
  echo "no $BENCH: build it first (ninja -C $BUILD_DIR storage_bench)" >&2
  exit 2
fi
for tool in jq b2sum zstd column; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/berth-storage-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The exact bytes the benchmarks use, in the page cache for the CLI tools.
"$BENCH" --write_corpus "$WORK"
cat "$WORK"/*.bin >/dev/null
SIZE=$(stat -c %s "$WORK/text.bin")  # random.bin is as long
zstd -q -3 -T1 -c "$WORK/text.bin" >"$WORK/text.zst"

echo "== storage_bench (median of $REPS repetitions, process CPU time)"
"$BENCH" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
  --benchmark_out="$WORK/bench.json" --benchmark_out_format=json

# ours NAME: median MB per CPU-second of benchmark NAME (without the /process_time suffix).
ours() {
  # With REPS=1 there are no aggregates, only the one run.
  jq -r --arg n "$1/process_time" \
    '[.benchmarks[] | select(.run_name == $n and
                            (.aggregate_name == "median" or .run_type == "iteration"))]
     | last | .bytes_per_second / 1e6' "$WORK/bench.json"
}

# cli_rate CMD ARGS... FILE: median over REPS runs of MB of plaintext (the corpus size) per
# user + sys second when CMD reads FILE COPIES times over (one run of b2sum over 64 MiB is too
# short to time well). bash's `time` gives children's user and sys CPU time to the millisecond.
COPIES=4
cli_rate() {
  local file=${*: -1} i
  local -a cmd=("${@:1:$#-1}")
  local files=()
  for ((i = 0; i < COPIES; i++)); do files+=("$file"); done
  local bytes=$((SIZE * COPIES))
  for ((i = 0; i < REPS; i++)); do
    local TIMEFORMAT='%3U %3S'
    { time "${cmd[@]}" "${files[@]}" >/dev/null; } 2>"$WORK/time"
    awk -v bytes="$bytes" '{ cpu = $1 + $2; print (cpu > 0 ? bytes / 1e6 / cpu : "inf") }' \
      "$WORK/time"
  done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# zstd_builtin FILE FIELD: zstd's in-memory bench at level 3, one thread, 64 KiB blocks;
# FIELD 1 = compression MB/s, 2 = decompression MB/s.
zstd_builtin() {
  zstd -b3 -T1 -B64KiB -i3 "$1" 2>&1 | tr '\r' '\n' |
    grep -oE '[0-9.]+ MB/s, +[0-9.]+ MB/s' | tail -1 |
    awk -v f="$2" '{ print (f == 1 ? $1 : $3) }'
}

echo
echo "== references (median of $REPS runs, user + sys CPU time)"
B2SUM=$(cli_rate b2sum "$WORK/text.bin")
ZSTD_TEXT=$(cli_rate zstd -q -3 -T1 -c "$WORK/text.bin")
ZSTD_RANDOM=$(cli_rate zstd -q -3 -T1 -c "$WORK/random.bin")
UNZSTD_TEXT=$(cli_rate zstd -q -d -T1 -c "$WORK/text.zst")
ZSTDB_C=$(zstd_builtin "$WORK/text.bin" 1)
ZSTDB_D=$(zstd_builtin "$WORK/text.bin" 2)
ZSTDB_RANDOM=$(zstd_builtin "$WORK/random.bin" 1)
echo "b2sum $B2SUM, zstd -3 text $ZSTD_TEXT, zstd -3 random $ZSTD_RANDOM, zstd -d text" \
  "$UNZSTD_TEXT, zstd -b3 -B64KiB: text compress $ZSTDB_C, text decompress $ZSTDB_D," \
  "random compress $ZSTDB_RANDOM (MB/s)"

echo
echo "== storage: ours vs reference, MB per CPU-second, single thread"
{
  printf 'figure|ours|reference|ref|ours/ref\n'
  # row FIGURE OURS REFERENCE REF_VALUE
  row() {
    awk -v a="$1" -v o="$2" -v r="$3" -v f="$4" \
      'BEGIN { printf "%s|%.0f|%s|%.0f|%.2f\n", a, o, r, f, o / f }'
  }
  row "chunker text (Split)" "$(ours BM_Chunker/text)" "memcpy" "$(ours BM_Memcpy)"
  row "chunker text (Split)" "$(ours BM_Chunker/text)" "target 1 GB/s" 1000
  row "chunk ids BLAKE2b 64K" "$(ours BM_Blake2bChunkIds/text)" "b2sum" "$B2SUM"
  row "encode text zstd3" "$(ours BM_RecordEncode/text)" "zstd -3 -T1 CLI" "$ZSTD_TEXT"
  row "encode text zstd3" "$(ours BM_RecordEncode/text)" "zstd -b3 -B64KiB" "$ZSTDB_C"
  row "encode text zstd3+enc" "$(ours BM_RecordEncode/text_encrypted)" "zstd -3 -T1 CLI" \
    "$ZSTD_TEXT"
  row "encode random zstd3" "$(ours BM_RecordEncode/random)" "zstd -3 -T1 CLI" "$ZSTD_RANDOM"
  row "encode random zstd3" "$(ours BM_RecordEncode/random)" "zstd -b3 -B64KiB" "$ZSTDB_RANDOM"
  row "decode text" "$(ours BM_RecordDecode/text)" "zstd -d CLI" "$UNZSTD_TEXT"
  row "decode text" "$(ours BM_RecordDecode/text)" "zstd -b3 -B64KiB" "$ZSTDB_D"
  row "decode text+enc" "$(ours BM_RecordDecode/text_encrypted)" "zstd -d CLI" "$UNZSTD_TEXT"
  row "store put text" "$(ours BM_StorePut/text)" "zstd -3 -T1 CLI" "$ZSTD_TEXT"
  row "store put text batch" "$(ours BM_StorePut/text_batch8m)" "zstd -3 -T1 CLI" "$ZSTD_TEXT"
  row "store put text" "$(ours BM_StorePut/text)" "target 170 MB/s" 170
  row "store put duplicate" "$(ours BM_StorePutDuplicate/text)" "b2sum" "$B2SUM"
  row "store get text" "$(ours BM_StoreGet/text)" "zstd -d CLI" "$UNZSTD_TEXT"
} | column -t -s '|' -R 2,4,5
