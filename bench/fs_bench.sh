#!/usr/bin/env bash
# The live filesystem: a berth FUSE mount against native ext4 and two other FUSE filesystems over
# a native directory, bindfs (a pass-through) and fuse-overlayfs (an overlay whose upper layer
# takes every write), in the same run, on the same disk. The FUSE peers show what any FUSE
# filesystem pays on this machine: a target that neither peer comes near is the protocol's cost.
#
#   bench/fs_bench.sh [BUILD_DIR]          (default: /work/main/build)
#
# Environment:
#   BERTH_BENCH_CACHE  where the Linux tree is extracted once and its uncompressed tar made once
#                      (default /var/tmp/berth-bench)
#   BERTH_BENCH_WORK   parent of the per-run temp dir holding all three targets (default /var/tmp)
#   RUNS               runs; each figure in the table is the median over them (default 3)
#   RAND_RUNTIME       seconds of each fio random 4 KiB job (default 20)
#   NFILES             files of the metadata benchmark (default 15000)
#   ONLY               space-separated subset of: meta untar compile seq rand (default: all)
#   BERTH_BENCH_CONFIG a TOML config file for the berth daemon (default: none, its defaults), e.g.
#                      to measure writeback_cache = true
#
# Every run starts a fresh berth daemon on a fresh data dir (nothing dedups across runs), fresh
# bindfs and fuse-overlayfs mounts and a fresh native dir, then runs each test on the four targets
# one after the other, so that load from other work on the machine hits them alike (the load
# average is printed at the start of each run and of each test):
#   meta     metadata_bench: create, stat (cold, then hot: the second pass), unlink NFILES files
#   untar    tar xf of the uncompressed Linux 6.1 tar (then sync -f), rm -rf of the result;
#            the daemon's VmRSS is sampled every 0.1 s during the untar, VmHWM read after it
#   compile  make -j2 of 50 generated C files (gcc -O2) and a link
#   seq      1 GiB of random bytes (from /dev/shm) written with dd conv=fsync, read back cold
#            (after drop_caches) and warm, 1 MiB blocks
#   rand     fio 4 KiB randread then randwrite on a 256 MiB file (laid out and read once first),
#            psync, buffered (direct=0), --invalidate=0, time based
set -euo pipefail

BUILD_DIR=${1:-/work/main/build}
CACHE=${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}
RUNS=${RUNS:-3}
RAND_RUNTIME=${RAND_RUNTIME:-20}
NFILES=${NFILES:-15000}
ONLY=${ONLY:-meta untar compile seq rand}
TARBALL=/usr/src/linux-source-6.1.tar.xz
TREE="$CACHE/linux-source-6.1"
TAR="$CACHE/linux-source-6.1.tar"
BUILT_BERTH="$BUILD_DIR/cmd/berth"
BUILT_META="$BUILD_DIR/bench/metadata_bench"
TARGETS=(native bindfs fovl berth)

[[ $EUID -eq 0 ]] || { echo "run as root (FUSE mounts, drop_caches)" >&2; exit 2; }
[[ -x "$BUILT_BERTH" ]] || { echo "no $BUILT_BERTH: ninja -C $BUILD_DIR berth" >&2; exit 2; }
[[ -x "$BUILT_META" ]] || { echo "no $BUILT_META: ninja -C $BUILD_DIR metadata_bench" >&2; exit 2; }
for tool in fio bindfs fuse-overlayfs jq gcc make tar column awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
want() { [[ " $ONLY " == *" $1 "* ]]; }

WORK=$(mktemp -d "${BERTH_BENCH_WORK:-/var/tmp}/berth-fs-bench-XXXXXX")
SHM=""
DAEMON_PID=""
SAMPLER_PID=""
PARTIAL=""
MOUNTS=()
cleanup() {
  set +e
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
  if [[ -n "$DAEMON_PID" ]]; then
    kill -TERM "$DAEMON_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
  fi
  # The daemon may have remounted nothing, but a mount it left behind must not block rm -rf.
  grep -o " $WORK/[^ ]*" /proc/mounts | while read -r m; do umount -l "$m"; done
  rm -rf "$WORK" ${SHM:+"$SHM"} ${PARTIAL:+"$PARTIAL"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Private copies of the binaries: a rebuild of BUILD_DIR during the run must not mix binaries
# between runs.
mkdir "$WORK/bin"
cp "$BUILT_BERTH" "$BUILT_META" "$WORK/bin/"
BERTH="$WORK/bin/berth"
META="$WORK/bin/metadata_bench"

# The tree and its uncompressed tar, once (so that the untar measures no xz).
if [[ ! -d "$TREE" ]]; then
  echo "extracting $TARBALL into $CACHE (once)"
  mkdir -p "$CACHE"
  PARTIAL=$(mktemp -d "$CACHE/extract-XXXXXX")
  tar -xJf "$TARBALL" -C "$PARTIAL"
  mv "$PARTIAL/linux-source-6.1" "$TREE"
  rm -rf "$PARTIAL"
  PARTIAL=""
fi
if [[ ! -f "$TAR" ]]; then
  echo "making $TAR (once)"
  PARTIAL="$TAR.partial"
  tar -C "$CACHE" -cf "$PARTIAL" linux-source-6.1
  mv "$PARTIAL" "$TAR"
  PARTIAL=""
fi
TAR_FILES=$(tar -tf "$TAR" | wc -l)

# 1 GiB of random bytes in memory: the source of the sequential write, so that neither the
# source's disk nor /dev/urandom is what is measured, and nothing compresses or dedups.
SHM=$(mktemp -d /dev/shm/berth-fs-bench-XXXXXX)
head -c $((1 << 30)) /dev/urandom >"$SHM/1g"

# 50 C files and a Makefile for the compile test (each file includes a local header, so the
# compiler reads from the target as well as writing to it).
mkdir "$WORK/csrc"
{
  echo '#include <stddef.h>'
  echo 'unsigned long mix(unsigned long x);'
  for ((i = 0; i < 50; i++)); do echo "unsigned long unit$i(const unsigned char *p, size_t n);"; done
} >"$WORK/csrc/common.h"
for ((i = 0; i < 50; i++)); do
  {
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo '#include <string.h>'
    echo '#include "common.h"'
    for ((f = 0; f < 40; f++)); do
      cat <<EOF
static unsigned long f${f}(const unsigned char *p, size_t n, unsigned long seed) {
  unsigned long h = seed ^ ${f}UL;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ p[i]) * 1099511628211UL;
    if ((h & 7) == ${f} % 8) h = mix(h + i);
    switch (p[i] % 4) { case 0: h += ${i}; break; case 1: h ^= h >> 13; break;
                        case 2: h *= 31; break; default: h -= i; }
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%lu-%d", h, ${f});
  return h + strlen(buf);
}
EOF
    done
    echo "unsigned long unit$i(const unsigned char *p, size_t n) {"
    echo "  unsigned long h = 0;"
    for ((f = 0; f < 40; f++)); do echo "  h = f${f}(p, n, h);"; done
    echo "  return h;"
    echo "}"
  } >"$WORK/csrc/u$i.c"
done
{
  echo '#include <stdio.h>'
  echo '#include "common.h"'
  echo 'unsigned long mix(unsigned long x) { return x ^ (x >> 29) ^ (x << 7); }'
  echo 'int main(void) { unsigned char b[16] = {1}; unsigned long h = 0;'
  for ((i = 0; i < 50; i++)); do echo "  h += unit$i(b, sizeof b);"; done
  echo '  printf("%lu\n", h); return 0; }'
} >"$WORK/csrc/main.c"
cat >"$WORK/csrc/Makefile" <<'EOF'
SRCS := $(wildcard *.c)
OBJS := $(SRCS:.c=.o)
prog: $(OBJS)
	gcc -o $@ $(OBJS)
%.o: %.c common.h
	gcc -O2 -c -o $@ $<
EOF

echo "versions: $("$BERTH" --version), $(fio --version), bindfs $(bindfs --version | head -1 |
  awk '{ print $2 }'), fuse-overlayfs $(fuse-overlayfs --version 2>/dev/null | head -1 |
  awk '{ print $3 }'), $(uname -r), gcc $(gcc -dumpversion)"
echo "work dir: $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "tar: $TAR ($(stat -c %s "$TAR") bytes, $TAR_FILES entries); runs: $RUNS"

RESULTS="$WORK/results"
: >"$RESULTS"
# record RUN TEST TARGET VALUE
record() { echo "$1 $2 $3 $4" >>"$RESULTS"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f", b - a }'; }
# Quiet disk before each timed step: writeback of the previous target's data would otherwise
# slow down whoever runs next.
quiet() { sync; }

declare -A DIR
start_targets() {
  local run=$1
  mkdir -p "$WORK/native" "$WORK/bindsrc" "$WORK/bindmnt" "$WORK/berth-data" "$WORK/berth-mnt"
  DIR[native]="$WORK/native"

  bindfs "$WORK/bindsrc" "$WORK/bindmnt"
  MOUNTS+=("$WORK/bindmnt")
  DIR[bindfs]="$WORK/bindmnt"

  mkdir -p "$WORK/ovl/lower" "$WORK/ovl/upper" "$WORK/ovl/work" "$WORK/ovl/mnt"
  fuse-overlayfs -o "lowerdir=$WORK/ovl/lower,upperdir=$WORK/ovl/upper,workdir=$WORK/ovl/work" \
    "$WORK/ovl/mnt" 2>/dev/null
  MOUNTS+=("$WORK/ovl/mnt")
  DIR[fovl]="$WORK/ovl/mnt"

  local sock="$WORK/berth-data/berth.sock"
  "$BERTH" serve --data-dir "$WORK/berth-data" --mount-root "$WORK/berth-mnt" \
    ${BERTH_BENCH_CONFIG:+--config "$BERTH_BENCH_CONFIG"} >"$WORK/daemon-$run.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 100); do [[ -S "$sock" ]] && break; sleep 0.1; done
  [[ -S "$sock" ]] || { echo "daemon did not start:" >&2; cat "$WORK/daemon-$run.log" >&2; exit 1; }
  "$BERTH" project create bench --socket "$sock" >/dev/null
  local mp
  mp=$("$BERTH" --json mount bench --socket "$sock" | jq -r .mountpoint)
  MOUNTS+=("$mp")
  DIR[berth]="$mp"
  [[ "$(stat -f -c %T "$mp")" == fuseblk || "$(stat -f -c %T "$mp")" == fuse ]] ||
    echo "  WARNING: $mp is $(stat -f -c %T "$mp"), not FUSE" >&2
}

stop_targets() {
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
  MOUNTS=()
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || echo "  daemon exited with $?" >&2
  DAEMON_PID=""
  rm -rf "$WORK/native" "$WORK/bindsrc" "$WORK/bindmnt" "$WORK/ovl" "$WORK/berth-data" \
    "$WORK/berth-mnt"
}

rss_kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

for ((run = 1; run <= RUNS; run++)); do
  echo "run $run of $RUNS ($(date -u +%H:%M:%S) UTC, load average $(load))"
  start_targets "$run"

  if want meta; then
    echo "  meta: load average $(load)"
    for t in "${TARGETS[@]}"; do
      mkdir "${DIR[$t]}/meta"
      quiet
      read -r _ c _ s1 _ s2 _ u <<<"$("$META" "${DIR[$t]}/meta" "$NFILES")"
      rmdir "${DIR[$t]}/meta"
      record "$run" create "$t" "$(awk -v n="$NFILES" -v s="$c" 'BEGIN { print n / s }')"
      record "$run" stat_cold "$t" "$(awk -v n="$NFILES" -v s="$s1" 'BEGIN { print n / s }')"
      record "$run" stat_hot "$t" "$(awk -v n="$NFILES" -v s="$s2" 'BEGIN { print n / s }')"
      record "$run" unlink "$t" "$(awk -v n="$NFILES" -v s="$u" 'BEGIN { print n / s }')"
      echo "  meta $t: create $c s, stat cold $s1 s, stat hot $s2 s, unlink $u s ($NFILES files)"
    done
  fi

  if want untar; then
    echo "  untar: load average $(load)"
    for t in "${TARGETS[@]}"; do
      cat "$TAR" >/dev/null  # the tar itself from the page cache
      quiet
      if [[ $t == berth ]]; then
        (while sleep 0.1; do rss_kb "$DAEMON_PID" VmRSS; done) >"$WORK/rss" 2>/dev/null &
        SAMPLER_PID=$!
      fi
      t0=$(now)
      tar -xf "$TAR" -C "${DIR[$t]}"
      tar_s=$(elapsed "$t0")
      sync -f "${DIR[$t]}"
      untar_s=$(elapsed "$t0")
      if [[ $t == berth ]]; then
        kill "$SAMPLER_PID"; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
        rss_max=$(sort -n "$WORK/rss" | tail -1)
        hwm=$(rss_kb "$DAEMON_PID" VmHWM)
        record "$run" rss_untar berth "$(awk -v k="$rss_max" 'BEGIN { print k / 1024 }')"
        record "$run" hwm_untar berth "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')"
        echo "  daemon during the untar: VmRSS max $((rss_max / 1024)) MiB (sampled every 0.1 s)," \
          "VmHWM $((hwm / 1024)) MiB"
      fi
      got=$(find "${DIR[$t]}/linux-source-6.1" | wc -l)
      [[ "$got" == "$TAR_FILES" ]] || echo "  WARNING: $t holds $got entries, the tar $TAR_FILES" >&2
      quiet
      t0=$(now)
      rm -rf "${DIR[$t]}/linux-source-6.1"
      rm_s=$(elapsed "$t0")
      record "$run" untar "$t" "$tar_s"
      record "$run" untar_sync "$t" "$untar_s"
      record "$run" rm_rf "$t" "$rm_s"
      echo "  untar $t: tar $tar_s s, with sync -f $untar_s s; rm -rf $rm_s s"
    done
  fi

  if want compile; then
    echo "  compile: load average $(load)"
    for t in "${TARGETS[@]}"; do
      cp -r "$WORK/csrc" "${DIR[$t]}/cc"
      quiet
      t0=$(now)
      make -s -C "${DIR[$t]}/cc" -j2 >/dev/null
      s=$(elapsed "$t0")
      "${DIR[$t]}/cc/prog" >/dev/null
      rm -rf "${DIR[$t]}/cc"
      record "$run" compile "$t" "$s"
      echo "  compile $t: $s s"
    done
  fi

  if want seq; then
    echo "  seq: load average $(load)"
    mib=$((1 << 30))
    for t in "${TARGETS[@]}"; do
      f="${DIR[$t]}/big"
      quiet
      t0=$(now)
      dd if="$SHM/1g" of="$f" bs=1M conv=fsync status=none
      w=$(elapsed "$t0")
      [[ $(stat -c %s "$f") == "$mib" ]] || echo "  WARNING: $t: $f has the wrong size" >&2
      sync
      echo 3 >/proc/sys/vm/drop_caches
      t0=$(now)
      dd if="$f" of=/dev/null bs=1M status=none
      rc=$(elapsed "$t0")
      t0=$(now)
      dd if="$f" of=/dev/null bs=1M status=none
      rw=$(elapsed "$t0")
      cmp -s "$f" "$SHM/1g" || echo "  WARNING: $t: $f reads back different bytes" >&2
      rm -f "$f"
      for x in "seq_write $w" "read_cold $rc" "read_warm $rw"; do
        set -- $x
        record "$run" "$1" "$t" "$(awk -v b="$mib" -v s="$2" 'BEGIN { print b / 1e6 / s }')"
      done
      echo "  seq $t: write+fsync $w s, cold read $rc s, warm read $rw s (1 GiB)"
    done
  fi

  if want rand; then
    echo "  rand: load average $(load)"
    for t in "${TARGETS[@]}"; do
      f="${DIR[$t]}/fio.dat"
      # Lay the file out first and read it once, and tell fio not to drop it from the page
      # cache (its default --invalidate=1 would make ext4 read from disk while bindfs, whose
      # fadvise does not reach the ext4 below, kept reading from memory): every target serves
      # the random reads from data it has just seen.
      fio --name=layout --filename="$f" --rw=write --bs=1M --size=256m --ioengine=psync \
        --refill_buffers --end_fsync=1 --output-format=json >/dev/null
      for rw in randread randwrite; do
        cat "$f" >/dev/null
        quiet
        fio --name="$rw" --filename="$f" --rw="$rw" --bs=4k --size=256m --invalidate=0 \
          --runtime="$RAND_RUNTIME" --time_based --ioengine=psync --direct=0 --refill_buffers \
          --output-format=json >"$WORK/fio.json"
        dir=${rw#rand}
        iops=$(jq ".jobs[0].$dir.iops" "$WORK/fio.json")
        record "$run" "$rw" "$t" "$iops"
        echo "  $rw $t: $iops IOPS"
      done
      rm -f "$f"
    done
  fi

  stop_targets
done

# median TEST TARGET: the median of the runs' values (the middle one; the mean of the two
# middle ones for an even count).
median() {
  awk -v k="$1" -v t="$2" '$2 == k && $3 == t { print $4 }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "";
      else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "== the live filesystem: native ext4, bindfs, fuse-overlayfs (f-ovl) and berth, median of $RUNS run(s)"
echo "   (rates: higher is better, ratio = rate / rate; seconds: lower is better, ratio = time / time)"
# test|unit|better|target on berth/native (or bindfs)
ROWS="seq_write|MB/s|high|>=0.5
read_cold|MB/s|high|>=0.8
read_warm|MB/s|high|>=0.5
randread|IOPS|high|
randwrite|IOPS|high|>=0.5
create|files/s|high|>=0.8
stat_cold|files/s|high|
stat_hot|files/s|high|>=0.5
unlink|files/s|high|>bindfs
untar|s|low|<=1.5
untar_sync|s|low|<=1.5
rm_rf|s|low|<=2
compile|s|low|"
SUMMARY="$WORK/summary"
{
  echo "test|unit|native|bindfs|f-ovl|berth|bindfs/n|f-ovl/n|berth/n|berth/bindfs|target|verdict"
  while IFS='|' read -r test unit better target; do
    n=$(median "$test" native); b=$(median "$test" bindfs); o=$(median "$test" fovl)
    g=$(median "$test" berth)
    [[ -n "$n" && -n "$b" && -n "$o" && -n "$g" ]] || continue
    awk -v test="$test" -v unit="$unit" -v better="$better" -v target="$target" \
        -v n="$n" -v b="$b" -v o="$o" -v g="$g" 'BEGIN {
      fmt = (unit == "s") ? "%.2f" : "%.0f"
      gn = g / n; bn = b / n; on = o / n; gb = g / b
      verdict = ""
      if (target == ">bindfs") verdict = ((better == "high") ? (gb > 1) : (gb < 1)) ? "met" : "NOT met"
      else if (substr(target, 1, 2) == ">=") verdict = (gn >= substr(target, 3) + 0) ? "met" : "NOT met"
      else if (substr(target, 1, 2) == "<=") verdict = (gn <= substr(target, 3) + 0) ? "met" : "NOT met"
      printf "%s|%s|" fmt "|" fmt "|" fmt "|" fmt "|%.2f|%.2f|%.2f|%.2f|%s|%s\n",
        test, unit, n, b, o, g, bn, on, gn, gb, (target == "" ? "-" : target),
        (verdict == "" ? "-" : verdict)
    }'
  done <<<"$ROWS"
} | column -t -s '|' -R 3,4,5,6,7,8,9,10 | tee "$SUMMARY"
rss=$(median rss_untar berth)
if [[ -n "$rss" ]]; then
  hwm=$(median hwm_untar berth)
  awk -v r="$rss" -v h="$hwm" 'BEGIN {
    printf "berth daemon during the untar: VmRSS max %.0f MiB, VmHWM %.0f MiB; target <= 300 MB: %s\n",
      r, h, (r * 1.048576 <= 300 ? "met" : "NOT met") }'
fi
echo
echo "all runs (run test target value):"
sort -k2,2 -k3,3 -k1,1n "$RESULTS" | column -t
