#!/usr/bin/env bash
# Snapshots: berth against restic, borg and bup, in the same run, on the same trees, from the
# page cache (issue 4's benchmarks).
#
#   bench/snapshot_bench.sh [BUILD_DIR]          (default: /work/main/build)
#
# Environment:
#   BERTH_BENCH_CACHE  where the Linux tree is extracted and the generated trees are made, once,
#                      and reused (default /var/tmp/berth-bench)
#   BERTH_BENCH_WORK   parent of the per-run temp dir: data dirs, repositories, restores
#                      (default /var/tmp)
#   ONLY               space-separated subset of: change kernel growth (default: all)
#   SIZES              file counts of the generated trees, each 1000 * 10^k
#                      (default "10000 100000 1000000")
#   PEERS              subset of: restic borg bup (default: all three; PEERS="" runs berth alone)
#   RUNS               fresh-repository runs of the kernel ingest and whole-tree restores; the
#                      table shows the median (default 3)
#   ROUNDS             change and no-change snapshots per tree, berth (default 3)
#   PEER_ROUNDS        change backups per tree, peers; one no-change backup after them
#                      (default 3; trees of 1M files and more: PEER_ROUNDS_BIG, default 1)
#   REPS               repetitions of each one-file restore (default 5)
#   GROWTH             forced no-change snapshots of the growth test (default 100)
#
# Sections:
#   change   For each generated tree (100 files per directory, 10 subdirectories per level, small
#            text files, deterministic): a bare `find -printf` stat walk; berth: project create,
#            import, first snapshot, then ROUNDS times "append a line to 10 files spread over the
#            tree, through the mount, and snapshot", then ROUNDS no-change snapshots; each peer:
#            first backup, PEER_ROUNDS times the same 10-file change on the native tree and a
#            backup, then one no-change backup. The peers change the cached tree itself; the 10
#            files are written back as generated afterwards (and at the next start, after a kill).
#            On a 2-core VM the 1M tree takes about 25 minutes for all four tools (berth's first
#            snapshot of it alone 7-9 minutes) and 4 GB under the cache dir.
#   kernel   The Linux 6.1 tree, copied once per run into the temp dir (the peers change files
#            there, and the shared cached tree must not change under other benchmarks): ingest
#            (berth import + first snapshot; peers' first backup), RUNS times into fresh
#            repositories; then, on the last run's repositories, the 10-file change and no-change
#            rounds as above, whole-tree restores (RUNS) and one-file restores (REPS).
#   growth   The growth of berth's store over GROWTH forced no-change snapshots (`berth snapshot`
#            always records one; an automatic snapshot of an unchanged tree writes nothing), on a
#            fresh data dir holding the 10k-file tree.
#
# Timing: berth's snapshot figures are the daemon's own `elapsed_us` (the snapshot writer, from
# the frozen view to the durable record; not the commit of dirty buffers before it nor the
# request's queueing) and the CLI's wall time around `berth --json snapshot` (process start,
# socket round trip, CommitAll, the write, the reply). Peers: wall time around the command, CPU
# (user + sys, all threads) from /usr/bin/time. berth's CPU is the daemon's utime + stime from
# /proc/PID/stat (all its threads, RocksDB's background threads included) before and after, plus
# the CLI's own from /usr/bin/time.
set -euo pipefail

BUILD_DIR=${1:-/work/main/build}
CACHE=${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}
ONLY=${ONLY:-change kernel growth}
SIZES=${SIZES:-10000 100000 1000000}
PEERS=${PEERS-restic borg bup}  # set but empty: berth alone
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-3}
PEER_ROUNDS=${PEER_ROUNDS:-3}
PEER_ROUNDS_BIG=${PEER_ROUNDS_BIG:-1}
REPS=${REPS:-5}
GROWTH=${GROWTH:-100}
TARBALL=/usr/src/linux-source-6.1.tar.xz
KTREE_CACHE="$CACHE/linux-source-6.1"
BUILT_BERTH="$BUILD_DIR/cmd/berth"
PYTHON=/usr/bin/python3
ONE_FILE=kernel/sched/core.c  # 294,251 bytes

[[ $EUID -eq 0 ]] || { echo "run as root (FUSE mounts)" >&2; exit 2; }
[[ -x "$BUILT_BERTH" ]] || { echo "no $BUILT_BERTH: ninja -C $BUILD_DIR berth" >&2; exit 2; }
for tool in $PEERS jq /usr/bin/time column awk "$PYTHON" xargs strings zstd b2sum; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
want() { [[ " $ONLY " == *" $1 "* ]]; }
for n in $SIZES; do
  [[ "$n" =~ ^10*$ && ${#n} -ge 4 ]] || { echo "SIZES: $n is not 1000 * 10^k" >&2; exit 2; }
done

WORK=$(mktemp -d "${BERTH_BENCH_WORK:-/var/tmp}/berth-snapshot-bench-XXXXXX")
chmod 0711 "$WORK"  # the daemon wants its parent searchable (unprivileged containers)
DAEMON_PID=""
PARTIAL=""
DIRTY_TREE=""  # a generated tree whose 10 change files a peer has modified: "ROOT N"
cleanup() {
  set +e
  if [[ -n "$DAEMON_PID" ]]; then
    kill -TERM "$DAEMON_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
  fi
  grep -o " $WORK/[^ ]*" /proc/mounts | while read -r m; do umount -l "$m"; done
  [[ -n "$DIRTY_TREE" ]] && revert_changes $DIRTY_TREE
  rm -rf "$WORK" ${PARTIAL:+"$PARTIAL"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy of the binary: a rebuild of BUILD_DIR during the run must not change it.
mkdir "$WORK/bin"
cp "$BUILT_BERTH" "$WORK/bin/"
BERTH="$WORK/bin/berth"

export RESTIC_PASSWORD=berth-bench RESTIC_CACHE_DIR="$WORK/restic-cache"
export BORG_BASE_DIR="$WORK/borg-base"
export BERTH_SOCKET=""

RESULTS="$WORK/results"
: >"$RESULTS"
# record KEY TOOL VALUE: one measurement; the tables show the median per KEY and TOOL.
record() { echo "$1 $2 $3" >>"$RESULTS"; }
median_of() {
  awk -v k="$1" -v t="$2" '$1 == k && $2 == t { print $3 }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
all_of() { awk -v k="$1" -v t="$2" '$1 == k && $2 == t { printf "%s%s", s, $3; s = " / " }' "$RESULTS"; }

# Microseconds of the wall clock, without forking.
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }
clk_tck=$(getconf CLK_TCK)
# CPU seconds (user + sys, every thread) the daemon has used so far.
daemon_cpu() {
  awk -v hz="$clk_tck" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$DAEMON_PID/stat"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- generated trees -------------------------------------------------------------------------

# gen.py ROOT N [INDEX...]: writes file INDEX (all of them by default) of the N-file tree.
# File i lives in leaf directory i / 100, spelled as decimal digits, one level per digit
# (d3/d0/d7/f42.txt); its contents are 100 to 1000 bytes of words drawn by a generator seeded
# with i, so every run writes the same bytes and no two files are alike.
cat >"$WORK/gen.py" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
levels = len(str(n // 100 - 1))
r = random.Random(4)
words = [''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 10)))
         for _ in range(2048)]
def path(i):
    return os.path.join(root, *('d' + c for c in str(i // 100).zfill(levels)),
                        'f%02d.txt' % (i % 100))
def content(i):
    r = random.Random(i)
    size, out, have = r.randint(100, 1000), ['file %d\n' % i], 0
    have = len(out[0])
    while have < size:
        out.append(' '.join(r.choices(words, k=8)) + '\n')
        have += len(out[-1])
    return ''.join(out)
made = set()
for i in [int(x) for x in sys.argv[3:]] or range(n):
    p = path(i)
    d = os.path.dirname(p)
    if d not in made:
        os.makedirs(d, exist_ok=True)
        made.add(d)
    with open(p, 'w') as f:
        f.write(content(i))
EOF

gen_root() { echo "$CACHE/files-$1"; }
# The 10 files a change touches, spread over the tree: i = k * N/10 + 37 + 11k.
change_indexes() { local n=$1 k; for ((k = 0; k < 10; k++)); do echo $((k * n / 10 + 37 + 11 * k)); done; }
change_paths() {  # relative paths of the 10 files
  local n=$1 levels i d p c
  levels=$(($(printf '%d' $((n / 100 - 1)) | wc -c)))
  for i in $(change_indexes "$n"); do
    d=$(printf "%0${levels}d" $((i / 100)))
    p=""
    for ((c = 0; c < levels; c++)); do p+="d${d:c:1}/"; done
    printf '%sf%02d.txt\n' "$p" $((i % 100))
  done
}
# Puts a generated tree's 10 change files back as generated.
revert_changes() { "$PYTHON" "$WORK/gen.py" "$1" "$2" $(change_indexes "$2"); }

ensure_tree() {
  local n=$1 root
  root=$(gen_root "$n")
  if [[ ! -d "$root" ]]; then
    echo "generating $root ($n files, once)"
    mkdir -p "$CACHE"
    PARTIAL="$root.partial"
    rm -rf "$PARTIAL"
    local t0; t0=$(now_us)
    "$PYTHON" "$WORK/gen.py" "$PARTIAL" "$n"
    mv "$PARTIAL" "$root"
    PARTIAL=""
    echo "  generated in $(secs "$t0" "$(now_us)") s"
  else
    revert_changes "$root" "$n"  # whatever an interrupted run left
  fi
}

ensure_kernel_tree() {
  if [[ ! -d "$KTREE_CACHE" ]]; then
    echo "extracting $TARBALL into $CACHE (once)"
    mkdir -p "$CACHE"
    PARTIAL=$(mktemp -d "$CACHE/extract-XXXXXX")
    tar -xJf "$TARBALL" -C "$PARTIAL"
    mv "$PARTIAL/linux-source-6.1" "$KTREE_CACHE"
    rm -rf "$PARTIAL"
    PARTIAL=""
  fi
}

# Every file's contents into the page cache (borg drops what it reads: redo before each tool).
warm() { find "$1" -type f -print0 | xargs -0 -n 2000 cat >/dev/null; }

# ---- berth daemon ----------------------------------------------------------------------------

cat >"$WORK/berth.toml" <<'EOF'
# Only the benchmark's own snapshots, and no gc behind its back.
snapshot_interval_s = 0
gc_interval_s = 0
EOF

# daemon_start DATA_DIR: a daemon on DATA_DIR, mount root $WORK/mnt.
daemon_start() {
  local data=$1
  mkdir -p "$WORK/mnt"
  "$BERTH" serve --data-dir "$data" --mount-root "$WORK/mnt" --config "$WORK/berth.toml" \
    >>"$WORK/daemon.log" 2>&1 &
  DAEMON_PID=$!
  BERTH_SOCKET="$data/berth.sock"
  for _ in $(seq 200); do
    [[ -S "$BERTH_SOCKET" ]] && "$BERTH" project list >/dev/null 2>&1 && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "daemon did not start:" >&2
  tail -20 "$WORK/daemon.log" >&2
  exit 1
}
daemon_stop() {
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || { echo "daemon exited with $?" >&2; tail -20 "$WORK/daemon.log" >&2; }
  DAEMON_PID=""
}
b() { "$BERTH" "$@"; }

# berth_snapshot PROJECT: one forced snapshot; sets SNAP_ELAPSED_US, SNAP_WALL_US, SNAP_OBJECTS,
# SNAP_ID, SNAP_CPU (daemon CPU seconds used during it).
berth_snapshot() {
  local t0 t1 c0 c1 out
  c0=$(daemon_cpu)
  t0=$(now_us)
  out=$("$BERTH" --json snapshot "$1")
  t1=$(now_us)
  c1=$(daemon_cpu)
  SNAP_WALL_US=$((t1 - t0))
  read -r SNAP_ELAPSED_US SNAP_OBJECTS SNAP_ID < <(jq -r '"\(.elapsed_us) \(.objects_written) \(.id)"' <<<"$out")
  SNAP_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')
}

# append_line DIR TAG ROUND FILE...: the 10-file change: one line appended to each file.
append_line() {
  local dir=$1 tag=$2 round=$3 f
  shift 3
  for f in "$@"; do printf 'changed by %s, round %s\n' "$tag" "$round" >>"$dir/$f"; done
}

# ---- peers -----------------------------------------------------------------------------------

# timed NAME CMD...: runs CMD under /usr/bin/time; sets T_WALL (s, from the wall clock around it)
# and T_CPU (user + sys of the command and its children). Output goes to $WORK/NAME.out/.err.
timed() {
  local name=$1 t0 t1 user sys
  shift
  t0=$(now_us)
  /usr/bin/time -f '%U %S' -o "$WORK/time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
    echo "$name failed: $*" >&2
    tail -20 "$WORK/$name.err" >&2
    exit 1
  }
  t1=$(now_us)
  read -r user sys <"$WORK/time"
  T_WALL=$(secs "$t0" "$t1")
  T_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
}

repo_of() { echo "$WORK/repo-$1"; }
peer_init() {
  local tool=$1 repo
  repo=$(repo_of "$tool")
  rm -rf "$repo"
  # Each tool's own cache goes with its repository (and only its own: the kernel section keeps
  # all three repositories and their caches for the later rounds).
  case $tool in
    restic) rm -rf "$RESTIC_CACHE_DIR"; restic --repo "$repo" init >/dev/null ;;
    borg) rm -rf "$BORG_BASE_DIR"; borg init -e none "$repo" ;;
    bup) BUP_DIR="$repo" bup init >/dev/null 2>&1 ;;
  esac
  PEER_SEQ=0
}
# peer_backup TOOL TREE: one backup of TREE into TOOL's repository (restic picks the previous
# snapshot of the same path as parent; borg uses its files cache; bup re-indexes, then saves).
peer_backup() {
  local tool=$1 tree=$2 repo
  repo=$(repo_of "$tool")
  PEER_SEQ=$((PEER_SEQ + 1))
  case $tool in
    restic) timed restic restic --repo "$repo" backup --quiet "$tree" ;;
    borg) timed borg borg create --compression zstd,3 "$repo::s$PEER_SEQ" "$tree" ;;
    bup) timed bup env BUP_DIR="$repo" sh -c 'bup index "$1" && bup save -q -n bench "$1"' sh "$tree" ;;
  esac
}
# Bytes of the repository: restic's and borg's caches live outside it; bup's index (its files
# cache) is left out likewise.
peer_size() {
  local repo
  repo=$(repo_of "$1")
  if [[ $1 == bup ]]; then du -sb --exclude='bupindex*' "$repo" | cut -f1; else du -sb "$repo" | cut -f1; fi
}

versions() {
  local v="berth $("$BERTH" --version 2>&1 | head -1)"
  for p in $PEERS; do
    case $p in
      restic) v+=", $(restic version | cut -d' ' -f1-2)" ;;
      borg) v+=", $(borg --version)" ;;
      bup) v+=", bup $(bup --version)" ;;
    esac
  done
  echo "$v"
}

echo "versions: $(versions)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
  "kernel $(uname -r), work dir $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "start $(date -u '+%F %T') UTC, load $(load)"
# The CLI's own floor: starting the binary, no request.
for r in 1 2 3 4 5; do
  t0=$(now_us); "$BERTH" --version >/dev/null; t1=$(now_us)
  record cli berth "$(secs "$t0" "$t1")"
done
echo "berth --version: $(all_of cli berth) s"
LOAD_START=$(load)

# ---- section 1: O(change) on generated trees -------------------------------------------------

# change_bench LABEL TREE N PEER_ROUNDS CHANGE_PATHS...
change_bench() {
  local label=$1 tree=$2 n=$3 prounds=$4 r t0 t1 c0 c1 first_id
  shift 4
  local paths=("$@")

  # The physical floor of a scanning tool: one stat per entry, from the dentry and inode caches.
  find "$tree" -printf '%s %T@\n' >/dev/null
  for r in 1 2 3; do
    t0=$(now_us); find "$tree" -printf '%s %T@\n' >/dev/null; t1=$(now_us)
    record "walk:$label" find "$(secs "$t0" "$t1")"
  done
  echo "  stat walk: $(all_of "walk:$label" find) s"

  # berth
  warm "$tree"
  sync
  daemon_start "$WORK/berth-data"
  b project create bench >/dev/null
  c0=$(daemon_cpu); t0=$(now_us)
  timed berth-import "$BERTH" --json import bench "$tree"
  t1=$(now_us); c1=$(daemon_cpu)
  local imported; imported=$(jq .files "$WORK/berth-import.out")
  [[ "$imported" == "$n" ]] || echo "  WARNING: berth imported $imported files, the tree has $n" >&2
  record "import:$label" berth "$(secs "$t0" "$t1")"
  record "importcpu:$label" berth "$(awk -v a="$c0" -v b="$c1" -v c="$T_CPU" 'BEGIN { print b - a + c }')"
  local mp; mp=$("$BERTH" --json mount bench | jq -r .mountpoint)
  berth_snapshot bench
  first_id=$SNAP_ID
  record "first:$label" berth "$(awk -v i="$(secs "$t0" "$t1")" -v s="$SNAP_WALL_US" 'BEGIN { print i + s / 1e6 }')"
  record "snap1:$label" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
  echo "  berth: import $(secs "$t0" "$t1") s (daemon CPU $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') s)," \
    "first snapshot $((SNAP_WALL_US / 1000)) ms wall, $((SNAP_ELAPSED_US / 1000)) ms in the daemon," \
    "$SNAP_OBJECTS objects, daemon CPU $SNAP_CPU s"
  for ((r = 1; r <= ROUNDS; r++)); do
    append_line "$mp" berth "$r" "${paths[@]}"
    berth_snapshot bench
    record "chg:$label" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
    record "chgd:$label" berth "$(awk -v s="$SNAP_ELAPSED_US" 'BEGIN { print s / 1e6 }')"
    echo "  berth change $r: $SNAP_WALL_US us wall, $SNAP_ELAPSED_US us in the daemon, $SNAP_OBJECTS objects written"
    if ((r == 1)); then
      local modified
      modified=$("$BERTH" --json diff "bench@$first_id" "bench@$SNAP_ID" | jq '.modified | length')
      [[ "$modified" == 10 ]] || echo "  WARNING: diff shows $modified modified files, not 10" >&2
    fi
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    berth_snapshot bench
    record "noc:$label" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
    record "nocd:$label" berth "$(awk -v s="$SNAP_ELAPSED_US" 'BEGIN { print s / 1e6 }')"
    echo "  berth no change $r: $SNAP_WALL_US us wall, $SNAP_ELAPSED_US us in the daemon, $SNAP_OBJECTS objects written"
  done
  daemon_stop
  rm -rf "$WORK/berth-data" "$WORK/mnt"

  # peers, on the native tree
  local tool
  for tool in $PEERS; do
    warm "$tree"
    sync
    peer_init "$tool"
    peer_backup "$tool" "$tree"
    record "first:$label" "$tool" "$T_WALL"
    echo "  $tool first backup: $T_WALL s wall, $T_CPU s CPU"
    for ((r = 1; r <= prounds; r++)); do
      DIRTY_TREE="$tree $n"
      append_line "$tree" "$tool" "$r" "${paths[@]}"
      peer_backup "$tool" "$tree"
      record "chg:$label" "$tool" "$T_WALL"
      echo "  $tool change $r: $T_WALL s wall, $T_CPU s CPU"
    done
    peer_backup "$tool" "$tree"
    record "noc:$label" "$tool" "$T_WALL"
    echo "  $tool no change: $T_WALL s wall, $T_CPU s CPU"
    if [[ -n "$DIRTY_TREE" ]]; then revert_changes $DIRTY_TREE; DIRTY_TREE=""; fi
    rm -rf "$(repo_of "$tool")" "$RESTIC_CACHE_DIR" "$BORG_BASE_DIR"
  done
}

if want change; then
  for n in $SIZES; do
    ensure_tree "$n"
    tree=$(gen_root "$n")
    mapfile -t paths < <(change_paths "$n")
    for p in "${paths[@]}"; do [[ -f "$tree/$p" ]] || { echo "no $tree/$p" >&2; exit 1; }; done
    rounds=$PEER_ROUNDS
    ((n >= 1000000)) && rounds=$PEER_ROUNDS_BIG
    echo "== O(change): $n files ($tree), load $(load)"
    t_size=$(now_us)
    change_bench "$n" "$tree" "$n" "$rounds" "${paths[@]}"
    echo "  ($n files: $(secs "$t_size" "$(now_us)") s for all tools)"
  done
fi

# ---- section 2: the Linux tree: ingest, change, restore, growth ------------------------------

if want kernel; then
  ensure_kernel_tree
  KT="$WORK/linux-source-6.1"
  echo "== Linux 6.1: copying the tree into $KT, load $(load)"
  cp -a "$KTREE_CACHE" "$KT"
  KFILES=$(find "$KT" -type f | wc -l)
  KBYTES=$(find "$KT" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
  echo "tree: $KFILES regular files, $KBYTES bytes"
  # 10 files spread over the tree: every (count/10)-th .c file in name order.
  mapfile -t kpaths < <(cd "$KT" && find . -type f -name '*.c' -printf '%P\n' | LC_ALL=C sort |
    awk -v n="$(cd "$KT" && find . -type f -name '*.c' | wc -l)" 'NR % int(n / 10) == 1' | head -10)
  ONE_SIZE=$(stat -c %s "$KT/$ONE_FILE")

  for ((run = 1; run <= RUNS; run++)); do
    echo "ingest run $run of $RUNS, load $(load)"
    rm -rf "$WORK/berth-data" "$WORK/mnt"
    warm "$KT"
    sync
    daemon_start "$WORK/berth-data"
    b project create linux >/dev/null
    c0=$(daemon_cpu); t0=$(now_us)
    timed berth-import "$BERTH" --json import linux "$KT"
    t1=$(now_us); c1=$(daemon_cpu)
    cli_cpu=$T_CPU
    [[ "$(jq .bytes "$WORK/berth-import.out")" == "$KBYTES" ]] ||
      echo "  WARNING: berth imported $(jq .bytes "$WORK/berth-import.out") bytes, the tree has $KBYTES" >&2
    berth_snapshot linux
    c2=$(daemon_cpu)
    imp_s=$(secs "$t0" "$t1")
    imp_cpu=$(awk -v a="$c0" -v b="$c1" -v c="$cli_cpu" 'BEGIN { print b - a + c }')
    record "kimport" berth "$imp_s"
    record "kimportcpu" berth "$imp_cpu"
    record "ksnap1" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
    record "ksnap1cpu" berth "$SNAP_CPU"
    record "kingest" berth "$(awk -v a="$imp_s" -v s="$SNAP_WALL_US" 'BEGIN { print a + s / 1e6 }')"
    record "kingestcpu" berth "$(awk -v a="$imp_cpu" -v s="$SNAP_CPU" 'BEGIN { print a + s }')"
    echo "  berth: import $imp_s s wall, $imp_cpu s CPU; first snapshot $((SNAP_WALL_US / 1000)) ms wall," \
      "$((SNAP_ELAPSED_US / 1000)) ms in the daemon, $SNAP_CPU s CPU, $SNAP_OBJECTS objects"
    b --json gc >"$WORK/gc.json"
    record "kstored_live" berth "$(du -sb "$WORK/berth-data/db" | cut -f1)"
    daemon_stop
    # A clean stop flushes the memtables: the size the store settles to.
    record "kstored" berth "$(du -sb "$WORK/berth-data/db" | cut -f1)"
    "$BERTH" --json store stats --data-dir "$WORK/berth-data" >"$WORK/stats.json"
    record "kstoredrec" berth "$(jq .stored_bytes "$WORK/stats.json")"
    echo "  berth stored: db $(du -sb "$WORK/berth-data/db" | cut -f1) bytes after gc and a clean stop" \
      "($(jq -c '{erased, erased_bytes}' "$WORK/gc.json") by gc); store stats $(jq -c '{chunks, stored_bytes, disk_bytes}' "$WORK/stats.json")"

    # The data path's own floor on the same files: zstd -3 (berth's level) and BLAKE2b (b2sum;
    # berth hashes with libsodium's), each file alone, one thread, output thrown away.
    warm "$KT"
    timed floor-zstd sh -c 'find "$1" -type f -print0 | xargs -0 zstd -3 -T1 -q -c >/dev/null' sh "$KT"
    record "kfloorzstd" berth "$T_CPU"
    timed floor-b2sum sh -c 'find "$1" -type f -print0 | xargs -0 b2sum >/dev/null' sh "$KT"
    record "kfloorb2" berth "$T_CPU"
    echo "  floor: zstd -3 of every file $(median_of kfloorzstd berth) CPU-s, b2sum $(median_of kfloorb2 berth) CPU-s"

    for tool in $PEERS; do
      warm "$KT"
      sync
      peer_init "$tool"
      peer_backup "$tool" "$KT"
      record "kingest" "$tool" "$T_WALL"
      record "kingestcpu" "$tool" "$T_CPU"
      record "kstored" "$tool" "$(peer_size "$tool")"
      echo "  $tool: $T_WALL s wall, $T_CPU s CPU, $(peer_size "$tool") bytes"
    done
  done

  # The change and no-change rounds, on the last run's repositories.
  echo "O(change) on the Linux tree, load $(load)"
  daemon_start "$WORK/berth-data"
  mp=$("$BERTH" --json mount linux | jq -r .mountpoint)
  prev_id=$("$BERTH" --json snapshots linux | jq -r '.[-1].id')
  for ((r = 1; r <= ROUNDS; r++)); do
    append_line "$mp" berth "$r" "${kpaths[@]}"
    berth_snapshot linux
    if ((r == 1)); then
      modified=$("$BERTH" --json diff "linux@$prev_id" "linux@$SNAP_ID" | jq '.modified | length')
      [[ "$modified" == 10 ]] || echo "  WARNING: diff shows $modified modified files, not 10" >&2
    fi
    record "chg:kernel" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
    record "chgd:kernel" berth "$(awk -v s="$SNAP_ELAPSED_US" 'BEGIN { print s / 1e6 }')"
    echo "  berth change $r: $SNAP_WALL_US us wall, $SNAP_ELAPSED_US us in the daemon, $SNAP_OBJECTS objects written"
  done
  for ((r = 1; r <= ROUNDS; r++)); do
    berth_snapshot linux
    record "noc:kernel" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
    record "nocd:kernel" berth "$(awk -v s="$SNAP_ELAPSED_US" 'BEGIN { print s / 1e6 }')"
    echo "  berth no change $r: $SNAP_WALL_US us wall, $SNAP_ELAPSED_US us in the daemon, $SNAP_OBJECTS objects written"
  done
  find "$KT" -printf '%s %T@\n' >/dev/null
  for r in 1 2 3; do
    t0=$(now_us); find "$KT" -printf '%s %T@\n' >/dev/null; t1=$(now_us)
    record "walk:kernel" find "$(secs "$t0" "$t1")"
  done
  echo "  stat walk: $(all_of walk:kernel find) s"
  for tool in $PEERS; do
    PEER_SEQ=100
    for ((r = 1; r <= PEER_ROUNDS; r++)); do
      append_line "$KT" "$tool" "$r" "${kpaths[@]}"
      peer_backup "$tool" "$KT"
      record "chg:kernel" "$tool" "$T_WALL"
      echo "  $tool change $r: $T_WALL s wall, $T_CPU s CPU"
    done
    peer_backup "$tool" "$KT"
    record "noc:kernel" "$tool" "$T_WALL"
    echo "  $tool no change: $T_WALL s wall, $T_CPU s CPU"
  done

  # Restores. The peers' latest backups hold the same tree as berth's latest snapshot (each
  # tool's own 10-file changes on top of the same copy).
  echo "restores, load $(load)"
  borg_last() { borg list --short --last 1 "$(repo_of borg)"; }
  # Each restore goes into its own directory, and all are deleted only after the last one: ext4
  # skips inodes freed in the last minute or so when it allocates new ones (ialloc.c,
  # recently_deleted), so creating 78k files right after deleting 78k others costs several times
  # the CPU, more with every round, whoever's turn it is.
  for ((run = 1; run <= RUNS; run++)); do
    for tool in berth $PEERS; do
      out="$WORK/restore-$tool-$run"
      sync
      case $tool in
        berth)
          c0=$(daemon_cpu)
          timed berth-restore "$BERTH" --json restore linux@latest --to "$out"
          T_CPU=$(awk -v a="$c0" -v b="$(daemon_cpu)" -v c="$T_CPU" 'BEGIN { print b - a + c }')
          root="$out" ;;
        restic) timed restic-restore restic --repo "$(repo_of restic)" restore latest --target "$out"; root="$out$KT" ;;
        borg) mkdir "$out"; timed borg-restore sh -c 'cd "$1" && borg extract "$2"' sh "$out" "$(repo_of borg)::$(borg_last)"; root="$out$KT" ;;
        bup) timed bup-restore env BUP_DIR="$(repo_of bup)" bup restore -C "$out" "/bench/latest$KT/"; root="$out" ;;
      esac
      t0=$(now_us); sync; t1=$(now_us)
      got=$(find "$root" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d", n, s }')
      [[ "${got% *}" == "$KFILES" ]] ||
        echo "  WARNING: $tool restored $got (files bytes), the tree has $KFILES files" >&2
      echo "  $tool restored $got (files bytes)"
      record "krestore" "$tool" "$T_WALL"
      record "krestorecpu" "$tool" "$T_CPU"
      record "krestoresync" "$tool" "$(awk -v a="$T_WALL" -v s="$(secs "$t0" "$t1")" 'BEGIN { print a + s }')"
      echo "  $tool whole tree: $T_WALL s wall (+ $(secs "$t0" "$t1") s sync), $T_CPU s CPU"
    done
  done
  rm -rf "$WORK"/restore-*
  # One file: restored into a directory, and written to stdout (redirected to a file).
  for ((r = 1; r <= REPS; r++)); do
    for tool in berth $PEERS; do
      out="$WORK/one"
      rm -rf "$out" "$WORK/one.stdout"
      mkdir "$out"
      case $tool in
        berth) timed berth-one "$BERTH" --json restore "linux@latest:$ONE_FILE" --to "$out" ;;
        restic) timed restic-one restic --repo "$(repo_of restic)" restore latest --target "$out" --include "$KT/$ONE_FILE" ;;
        borg) timed borg-one sh -c 'cd "$1" && borg extract "$2" "$3"' sh "$out" "$(repo_of borg)::$(borg_last)" "${KT#/}/$ONE_FILE" ;;
        bup) timed bup-one env BUP_DIR="$(repo_of bup)" bup restore -C "$out" "/bench/latest$KT/$ONE_FILE" ;;
      esac
      record "onedir" "$tool" "$T_WALL"
      one_dir=$T_WALL
      case $tool in
        berth) timed berth-cat sh -c '"$1" cat "$2" >"$3"' sh "$BERTH" "linux@latest:$ONE_FILE" "$WORK/one.stdout" ;;
        restic) timed restic-cat sh -c 'restic --repo "$1" dump latest "$2" >"$3"' sh "$(repo_of restic)" "$KT/$ONE_FILE" "$WORK/one.stdout" ;;
        borg) timed borg-cat sh -c 'borg extract --stdout "$1" "$2" >"$3"' sh "$(repo_of borg)::$(borg_last)" "${KT#/}/$ONE_FILE" "$WORK/one.stdout" ;;
        bup) timed bup-cat env BUP_DIR="$(repo_of bup)" sh -c 'bup cat-file "$1" >"$2"' sh "/bench/latest$KT/$ONE_FILE" "$WORK/one.stdout" ;;
      esac
      record "onecat" "$tool" "$T_WALL"
      got=$(find "$out" -type f -name core.c -printf '%s\n')
      [[ "$got" == "$ONE_SIZE" ]] || echo "  WARNING: $tool restored core.c with ${got:-no} bytes, not $ONE_SIZE" >&2
      [[ "$(stat -c %s "$WORK/one.stdout")" == "$ONE_SIZE" ]] ||
        echo "  WARNING: $tool wrote $(stat -c %s "$WORK/one.stdout") bytes of core.c to stdout" >&2
      echo "  $tool one file: to a directory $one_dir s, to stdout $T_WALL s"
    done
  done
  rm -rf "$WORK/one" "$WORK/one.stdout"

  daemon_stop
fi

# ---- section 3: growth of the store per forced no-change snapshot ----------------------------

# On a fresh data dir holding the 10k-file tree: a small database, so that what a flush or a
# compaction moves around is small beside what the snapshots add. A clean stop flushes every
# memtable into SST files, so sizes taken after a stop compare; a stop and start with no
# snapshot in between shows how much the db moves by itself (the control).
# Bytes of the SST files of one column family of a stopped daemon's db, told by the family name
# that RocksDB writes in each SST's properties block ("rocksdb.column.family.name", stored as
# "name" + the family after the "...column.family.id" key).
family_bytes() {
  local f total=0
  for f in "$1"/*.sst; do
    [[ -e "$f" ]] || continue
    if [[ "$(strings -n 3 "$f" | grep -A1 'column\.family\.id' | tail -1 | grep -o 'name[a-z_]*$')" == "name$2" ]]; then
      total=$((total + $(stat -c %s "$f")))
    fi
  done
  echo "$total"
}

if want growth; then
  ensure_tree 10000
  gd="$WORK/growth-data"
  echo "== growth over $GROWTH forced no-change snapshots, load $(load)"
  daemon_start "$gd"
  b project create growth >/dev/null
  b --json import growth "$(gen_root 10000)" >/dev/null
  berth_snapshot growth
  daemon_stop
  daemon_start "$gd"; daemon_stop
  size_a0=$(du -sb "$gd/db" | cut -f1)
  daemon_start "$gd"; daemon_stop
  size_a=$(du -sb "$gd/db" | cut -f1)
  fam_a=$(family_bytes "$gd/db" snapshots)
  chunks_a=$("$BERTH" --json store stats --data-dir "$gd" | jq .chunks)
  daemon_start "$gd"
  nsnaps0=$("$BERTH" --json snapshots growth | jq length)
  objects=0
  for ((r = 1; r <= GROWTH; r++)); do
    berth_snapshot growth
    objects=$((objects + SNAP_OBJECTS))
    record "growthd" berth "$(awk -v s="$SNAP_ELAPSED_US" 'BEGIN { print s / 1e6 }')"
    record "growthw" berth "$(awk -v s="$SNAP_WALL_US" 'BEGIN { print s / 1e6 }')"
  done
  nsnaps1=$("$BERTH" --json snapshots growth | jq length)
  host_len=$("$BERTH" --json snapshots growth | jq -r '.[-1].host | length')
  daemon_stop
  size_b=$(du -sb "$gd/db" | cut -f1)
  fam_b=$(family_bytes "$gd/db" snapshots)
  chunks_b=$("$BERTH" --json store stats --data-dir "$gd" | jq .chunks)
  # doc/snapshot_format.md: key 16 + 8 bytes, value 110 bytes + host + label (none here).
  GROWTH_LINE="$GROWTH forced no-change snapshots ($nsnaps0 -> $nsnaps1 records): objects written $objects,"
  GROWTH_LINE+=" chunks $chunks_a -> $chunks_b; SST files of the snapshots family $fam_a -> $fam_b bytes:"
  GROWTH_LINE+=" $(awk -v a="$fam_a" -v b="$fam_b" -v n="$GROWTH" 'BEGIN { printf "%.0f", (b - a) / n }') bytes per snapshot;"
  GROWTH_LINE+=" whole db $size_a -> $size_b bytes after a clean stop"
  GROWTH_LINE+=" (compactions move it; a stop and start alone moved it by $((size_a - size_a0)) bytes);"
  GROWTH_LINE+=" one record is $((24 + 110 + host_len)) bytes of key and value before compression"
  echo "  $GROWTH_LINE"
  rm -rf "$gd"
fi

# ---- tables ----------------------------------------------------------------------------------

echo
echo "end $(date -u '+%F %T') UTC; load at start $LOAD_START, at end $(load)"
ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f", v * 1000 }'; }
s3() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.3f", v }'; }
s2() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.0fx", a / b }'; }

labels=()
if want change; then for n in $SIZES; do labels+=("$n"); done; fi
if want kernel; then labels+=(kernel); fi
if ((${#labels[@]} > 0)); then
  echo
  echo "== O(change): snapshot after appending a line to 10 files (medians; berth in ms, peers in s)"
  {
    printf 'tree|files|stat walk s|berth daemon ms|berth CLI ms'
    for p in $PEERS; do printf '|%s s' "$p"; done
    for p in $PEERS; do printf '|%s/berth' "$p"; done
    echo '|target|verdict'
    for l in "${labels[@]}"; do
      files=$l; [[ $l == kernel ]] && files=$KFILES
      bw=$(median_of "chg:$l" berth); bd=$(median_of "chgd:$l" berth)
      printf '%s|%s|%s|%s|%s' "$l" "$files" "$(s3 "$(median_of "walk:$l" find)")" "$(ms "$bd")" "$(ms "$bw")"
      for p in $PEERS; do printf '|%s' "$(s2 "$(median_of "chg:$l" "$p")")"; done
      for p in $PEERS; do printf '|%s' "$(ratio "$(median_of "chg:$l" "$p")" "$bw")"; done
      target=20; ((files >= 1000000)) && target=50
      ((files < 50000)) && target=""
      if [[ -n $target ]]; then
        printf '|<= %s ms|%s\n' "$target" "$(awk -v v="$bw" -v t="$target" 'BEGIN { print (v * 1000 <= t ? "met" : "NOT met") }')"
      else
        echo '|-|-'
      fi
    done
  } | column -t -s '|'
  echo "(verdict on the CLI's wall time; ratios: peer wall / berth CLI wall;" \
    "starting the CLI alone, berth --version: $(ms "$(median_of cli berth)") ms)"
  echo "every round, berth (s): "
  for l in "${labels[@]}"; do
    echo "  $l: change CLI $(all_of "chg:$l" berth); daemon $(all_of "chgd:$l" berth);" \
      "no change CLI $(all_of "noc:$l" berth); daemon $(all_of "nocd:$l" berth)"
  done
  echo
  echo "== no-change snapshot (medians; berth in ms, peers in s)"
  {
    printf 'tree|files|berth daemon ms|berth CLI ms'
    for p in $PEERS; do printf '|%s s' "$p"; done
    for p in $PEERS; do printf '|%s/berth' "$p"; done
    echo
    for l in "${labels[@]}"; do
      files=$l; [[ $l == kernel ]] && files=$KFILES
      bw=$(median_of "noc:$l" berth)
      printf '%s|%s|%s|%s' "$l" "$files" "$(ms "$(median_of "nocd:$l" berth)")" "$(ms "$bw")"
      for p in $PEERS; do printf '|%s' "$(s2 "$(median_of "noc:$l" "$p")")"; done
      for p in $PEERS; do printf '|%s' "$(ratio "$(median_of "noc:$l" "$p")" "$bw")"; done
      echo
    done
  } | column -t -s '|'
  if want change; then
    echo
    echo "== first snapshot of the generated trees: berth import + snapshot, peers' first backup (wall s)"
    {
      printf 'tree|berth import s|berth import CPU s|berth 1st snapshot s|berth total s'
      for p in $PEERS; do printf '|%s s' "$p"; done
      echo
      for n in $SIZES; do
        printf '%s|%s|%s|%s|%s' "$n" "$(s2 "$(median_of "import:$n" berth)")" \
          "$(s2 "$(median_of "importcpu:$n" berth)")" "$(s2 "$(median_of "snap1:$n" berth)")" \
          "$(s2 "$(median_of "first:$n" berth)")"
        for p in $PEERS; do printf '|%s' "$(s2 "$(median_of "first:$n" "$p")")"; done
        echo
      done
    } | column -t -s '|'
  fi
fi

if want kernel; then
  echo
  echo "== ingest of the Linux 6.1 tree ($KFILES files, $KBYTES bytes), median of $RUNS"
  {
    echo "tool|wall s|CPU s|MB/CPU-s|MB/wall-s|stored bytes|stored/input|all runs: wall s"
    for t in berth $PEERS; do
      w=$(median_of kingest "$t"); c=$(median_of kingestcpu "$t"); st=$(median_of kstored "$t")
      awk -v t="$t" -v w="$w" -v c="$c" -v st="$st" -v b="$KBYTES" -v all="$(all_of kingest "$t")" 'BEGIN {
        printf "%s|%.2f|%.2f|%.1f|%.1f|%d|%.3f|%s\n", t, w, c, b / 1e6 / c, b / 1e6 / w, st, st / b, all }'
    done
  } | column -t -s '|'
  echo "berth: import $(s2 "$(median_of kimport berth)") s ($(s2 "$(median_of kimportcpu berth)") CPU-s)" \
    "+ first snapshot $(s2 "$(median_of ksnap1 berth)") s ($(s2 "$(median_of ksnap1cpu berth)") CPU-s);" \
    "stored: db after gc, before the stop $(median_of kstored_live berth), records $(median_of kstoredrec berth)"
  w=$(median_of kingest berth); c=$(median_of kingestcpu berth); st=$(median_of kstored berth)
  mb=$(awk -v b="$KBYTES" -v c="$c" 'BEGIN { printf "%.1f", b / 1e6 / c }')
  smallest=""; restic_w="-"
  for p in $PEERS; do
    v=$(median_of kstored "$p")
    [[ -z $smallest || $v -lt $smallest ]] && smallest=$v
    [[ $p == restic ]] && restic_w=$(median_of kingest restic)
    echo "berth / $p: MB per CPU-second $(awk -v a="$(median_of kingestcpu "$p")" -v b="$c" 'BEGIN { printf "%.2f", a / b }')," \
      "wall $(awk -v a="$w" -v b="$(median_of kingest "$p")" 'BEGIN { printf "%.2f", a / b }')," \
      "stored $(awk -v a="$st" -v b="$v" 'BEGIN { printf "%.3f", a / b }')"
  done
  zc=$(median_of kfloorzstd berth); bc=$(median_of kfloorb2 berth)
  echo "floor (same files, same run): zstd -3 alone $(awk -v b="$KBYTES" -v c="$zc" 'BEGIN { printf "%.1f", b / 1e6 / c }') MB per CPU-second," \
    "b2sum alone $(awk -v b="$KBYTES" -v c="$bc" 'BEGIN { printf "%.1f", b / 1e6 / c }')," \
    "both $(awk -v b="$KBYTES" -v c="$zc" -v d="$bc" 'BEGIN { printf "%.1f", b / 1e6 / (c + d) }');" \
    "berth's CPU / (zstd + b2sum) $(awk -v a="$c" -v z="$zc" -v d="$bc" 'BEGIN { printf "%.2f", a / (z + d) }')"
  echo "target >= 170 MB per CPU-second: $mb, $(awk -v m="$mb" 'BEGIN { print (m >= 170 ? "met" : "NOT met") }')"
  [[ $restic_w != - ]] && echo "target wall <= restic / 2 = $(awk -v r="$restic_w" 'BEGIN { printf "%.2f", r / 2 }') s:" \
    "$(s2 "$w") s, $(awk -v a="$w" -v r="$restic_w" 'BEGIN { print (a <= r / 2 ? "met" : "NOT met") }')"
  [[ -n $smallest ]] && echo "target stored <= smallest peer = $smallest: $st, $( ((st <= smallest)) && echo met || echo NOT met)"

  echo
  echo "== restore of the Linux tree (wall s, median of $RUNS) and of one file, $ONE_FILE ($ONE_SIZE bytes, median of $REPS)"
  {
    echo "tool|whole tree s|+ sync s|CPU s|one file to a dir ms|one file to stdout ms|all runs: whole tree s"
    for t in berth $PEERS; do
      printf '%s|%s|%s|%s|%s|%s|%s\n' "$t" "$(s2 "$(median_of krestore "$t")")" \
        "$(s2 "$(median_of krestoresync "$t")")" "$(s2 "$(median_of krestorecpu "$t")")" \
        "$(ms "$(median_of onedir "$t")")" "$(ms "$(median_of onecat "$t")")" "$(all_of krestore "$t")"
    done
  } | column -t -s '|'
  fastest=""
  for p in $PEERS; do
    v=$(median_of krestore "$p")
    if [[ -z $fastest ]] || awk -v a="$v" -v f="$fastest" 'BEGIN { exit !(a < f) }'; then fastest=$v; fi
  done
  bo=$(median_of onedir berth); bc=$(median_of onecat berth)
  best=$(awk -v a="$bo" -v b="$bc" 'BEGIN { print (a < b ? a : b) }')
  echo "target one file <= 20 ms: $(ms "$best") ms, $(awk -v v="$best" 'BEGIN { print (v <= 0.020 ? "met" : "NOT met") }')"
  echo "target whole tree <= fastest peer ($(s2 "$fastest") s): $(s2 "$(median_of krestore berth)") s," \
    "$(awk -v a="$(median_of krestore berth)" -v f="$fastest" 'BEGIN { print (a <= f ? "met" : "NOT met") }')"
fi
if want growth; then
  echo
  echo "== growth: $GROWTH_LINE"
  echo "   forced no-change snapshot: $(ms "$(median_of growthd berth)") ms in the daemon, $(ms "$(median_of growthw berth)") ms CLI (medians)"
fi
