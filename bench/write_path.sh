#!/usr/bin/env bash
# The whole write path over the Linux 6.1 source tree: `berth store ingest` against restic and
# borg, in the same run on the same machine, from the page cache.
#
#   bench/write_path.sh [BUILD_DIR]          (default: /work/main/build)
#
# Environment:
#   BERTH_BENCH_CACHE  where the tree is extracted once and reused (default /var/tmp/berth-bench)
#   BERTH_BENCH_WORK   parent of the per-run temp dir holding the repositories (default /var/tmp)
#   RUNS               runs per tool, each into a fresh repository; the table shows the run with
#                      the median CPU time (default 1)
#
# For each tool: wall seconds, CPU seconds (user + sys of the process and all its threads, from
# /usr/bin/time), MB (10^6 bytes) of input per CPU-second, where input is the total size of the
# regular files in the tree, and the stored size (du -sb of the repository after the run).
set -euo pipefail

BUILD_DIR=${1:-/work/main/build}
CACHE=${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}
RUNS=${RUNS:-1}
TARBALL=/usr/src/linux-source-6.1.tar.xz
TREE="$CACHE/linux-source-6.1"
BERTH="$BUILD_DIR/cmd/berth"

[[ -x "$BERTH" ]] || { echo "no $BERTH: build it first (ninja -C $BUILD_DIR berth)" >&2; exit 2; }
for tool in restic borg zstd jq /usr/bin/time column; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${BERTH_BENCH_WORK:-/var/tmp}/berth-write-path-XXXXXX")
PARTIAL=""
cleanup() { rm -rf "$WORK" ${PARTIAL:+"$PARTIAL"}; }
trap cleanup EXIT

# Extract into a temp dir first and rename, so an interrupted extraction is never reused.
if [[ ! -d "$TREE" ]]; then
  echo "extracting $TARBALL into $CACHE (once)"
  mkdir -p "$CACHE"
  PARTIAL=$(mktemp -d "$CACHE/extract-XXXXXX")
  tar -xJf "$TARBALL" -C "$PARTIAL"
  mv "$PARTIAL/linux-source-6.1" "$TREE"
  rm -rf "$PARTIAL"
  PARTIAL=""
fi

FILES=$(find "$TREE" -type f | wc -l)
BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
echo "tree: $TREE, $FILES regular files, $BYTES bytes"

# Puts the tree in the page cache, so that every tool reads from memory. Done before each tool:
# borg drops what it read from the cache (posix_fadvise DONTNEED), so whoever ran after it would
# read from disk. (Not `tar cf /dev/null`: GNU tar notices /dev/null and reads no contents.)
warm_cache() { find "$TREE" -type f -print0 | xargs -0 cat >/dev/null; }

# Peers keep caches and keys out of $HOME, inside the run's temp dir.
export RESTIC_PASSWORD=berth-bench RESTIC_CACHE_DIR="$WORK/restic-cache"
export BORG_BASE_DIR="$WORK/borg-base"

echo "versions: $("$BERTH" --version), $(restic version | cut -d' ' -f1-2), $(borg --version)"

# measure NAME REPO CMD...: runs CMD under /usr/bin/time and appends
# "NAME wall cpu stored_bytes" to $WORK/results. stdout goes to $WORK/NAME.out.
measure() {
  local name=$1 repo=$2
  shift 2
  warm_cache
  # Start each tool on a quiet disk: writeback of the previous tool's repository (and of the
  # one just deleted) would otherwise slow down whoever runs next, fsyncs most of all.
  sync
  /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
    echo "$name failed:" >&2
    cat "$WORK/$name.err" >&2
    exit 1
  }
  local wall user sys stored
  read -r wall user sys <"$WORK/time"
  stored=$(du -sb "$repo" | cut -f1)
  echo "$name $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $stored" \
    >>"$WORK/results"
  echo "  $name: wall $wall s, user $user s, sys $sys s, stored $stored bytes"
}

for ((run = 1; run <= RUNS; run++)); do
  echo "run $run of $RUNS"
  rm -rf "$WORK/berth" "$WORK/restic" "$WORK/borg" "$RESTIC_CACHE_DIR" "$BORG_BASE_DIR"

  measure berth "$WORK/berth" "$BERTH" --json store ingest --data-dir "$WORK/berth" "$TREE"
  jq -c . "$WORK/berth.out"
  # Whatever a Close leaves in the WAL, the next open replays into SST and blob files: the size
  # after a reopen is what the store settles to. Not part of the measurement.
  "$BERTH" store stats --data-dir "$WORK/berth" >/dev/null
  echo "  berth after a reopen: $(du -sb "$WORK/berth" | cut -f1) bytes on disk;" \
    "records alone $(jq .new_stored_bytes "$WORK/berth.out") bytes"
  ingested=$(jq .bytes "$WORK/berth.out")
  [[ "$ingested" == "$BYTES" ]] || echo "  WARNING: berth ingested $ingested bytes, tree has $BYTES"

  restic --repo "$WORK/restic" init >/dev/null
  if ((run == 1)); then
    echo "  restic repository: $(restic --repo "$WORK/restic" cat config | jq -c '{version}')," \
      "compression: auto (the default), always encrypted"
  fi
  measure restic "$WORK/restic" restic --repo "$WORK/restic" backup --json "$TREE"
  jq -c 'select(.message_type == "summary") | {total_files_processed, total_bytes_processed}' \
    "$WORK/restic.out"

  borg init -e none "$WORK/borg"
  measure borg "$WORK/borg" borg create --compression zstd,3 "$WORK/borg::a" "$TREE"
done

# A floor for comparison: zstd -3 alone, each file compressed on its own, in memory (zstd's own
# wall-clock bench, one thread), with no chunking, hashing or storing.
ZSTD_FLOOR=$(zstd -b3 -T1 -i1 -r "$TREE" 2>&1 | tr '\r' '\n' |
  grep -oE '[0-9]+ \(x[0-9.]+\), +[0-9.]+ MB/s' | tail -1)

# The run with the median CPU time of each tool.
pick() {
  grep "^$1 " "$WORK/results" | sort -k3,3g |
    awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }'
}

echo
echo "== write path: $FILES files, $BYTES bytes (Linux 6.1 source), page cache warm," \
  "median of $RUNS run(s) by CPU time"
{
  echo "tool|wall s|CPU s|MB/CPU-s|MB/wall-s|stored bytes|stored/input"
  for tool in berth restic borg; do
    pick "$tool" | awk -v b="$BYTES" '{
      printf "%s|%.2f|%.2f|%.1f|%.1f|%d|%.3f\n",
        $1, $2, $3, b / 1e6 / $3, b / 1e6 / $2, $4, $4 / b }'
  done
} | column -t -s '|' -R 2,3,4,5,6,7

echo "reference: zstd -3 alone, per file, in memory: $BYTES -> $ZSTD_FLOOR"
echo
read -r _ b_wall b_cpu b_stored <<<"$(pick berth)"
read -r _ r_wall r_cpu r_stored <<<"$(pick restic)"
read -r _ g_wall g_cpu g_stored <<<"$(pick borg)"
awk -v b="$BYTES" -v bc="$b_cpu" -v bs="$b_stored" -v bw="$b_wall" \
    -v rc="$r_cpu" -v rs="$r_stored" -v rw="$r_wall" \
    -v gc="$g_cpu" -v gs="$g_stored" -v gw="$g_wall" 'BEGIN {
  printf "berth / restic: MB per CPU-second %.2f, wall seconds %.2f, stored bytes %.3f\n",
    rc / bc, bw / rw, bs / rs
  printf "berth / borg:   MB per CPU-second %.2f, wall seconds %.2f, stored bytes %.3f\n",
    gc / bc, bw / gw, bs / gs
  mb = b / 1e6 / bc
  smaller = (rs < gs) ? rs : gs
  printf "target >= 170 MB per CPU-second: %.1f, %s\n", mb, (mb >= 170 ? "met" : "NOT met")
  printf "target stored <= min(restic, borg) = %d: %d, %s\n", smaller, bs,
    (bs <= smaller ? "met" : "NOT met")
}'
