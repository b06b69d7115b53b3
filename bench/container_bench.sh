#!/usr/bin/env bash
# Container start latency: time from starting a project's container to a command running inside
# it with the project mounted, berth's runtime beside lxc-start + lxc-attach by hand, in the same
# run, on the same busybox image.
#
#   bench/container_bench.sh [BUILD_DIR]        (default: /work/main/build)
#
# Environment:
#   RUNS              starts on each side (default 20)
#   CONTAINER_BENCH   the bench binary (default BUILD_DIR/bench/container/container_bench)
#   BERTH_BENCH_WORK  parent of the per-run temp dir (default /var/tmp)
#
# berth:  Runtime::Start (overlay of the image + a fresh delta mounted on the host, unprivileged
#         LXC container, project parent bound at /home rbind,rslave) then Runtime::Exec of
#         `test -d /home/user/.`, through liblxc in one process.
# by hand: the same config written to a file (lxc.rootfs.path = overlay:IMAGE:DELTA, liblxc's own
#         overlay driver), `lxc-start -n peer` then `lxc-attach -n peer -- test -d /home/user/.`.
# Both sides stop with a kill (not timed), and each start gets a fresh, empty delta.
set -euo pipefail

BUILD_DIR=${1:-/work/main/build}
RUNS=${RUNS:-20}
BIN=${CONTAINER_BENCH:-$BUILD_DIR/bench/container/container_bench}

[[ $EUID -eq 0 ]] || { echo "run as root (containers, mounts)" >&2; exit 2; }
[[ -x "$BIN" ]] || { echo "no $BIN: ninja -C $BUILD_DIR container_bench" >&2; exit 2; }
for tool in lxc-start lxc-attach lxc-stop awk sort; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${BERTH_BENCH_WORK:-/var/tmp}/berth-container-bench-XXXXXX")
chmod 0755 "$WORK"  # the containers' mapped root must traverse it
PEER_DIR="$WORK/peer"
MOUNTS=()
cleanup() {
  set +e
  lxc-stop -k -n peer -P "$PEER_DIR/containers" >/dev/null 2>&1
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null; done
  rmdir /sys/fs/cgroup/*/lxc.monitor.peer* /sys/fs/cgroup/*/lxc.payload.peer 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

percentile() {  # percentile P (0..100) of the numbers on stdin
  sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] }'
}

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"

# berth (also builds the image the peer uses).
"$BIN" "$WORK/berth" "$RUNS" | tee "$WORK/berth.out"
BERTH_P50=$(awk '/^berth runs=/ { for (i = 1; i <= NF; i++) if ($i ~ /^p50_ms=/) print substr($i, 8) }' "$WORK/berth.out")
BERTH_P90=$(awk '/^berth runs=/ { for (i = 1; i <= NF; i++) if ($i ~ /^p90_ms=/) print substr($i, 8) }' "$WORK/berth.out")
IMAGE="$WORK/berth/images/busybox/rootfs"

# By hand: the same project layout (a shared parent with a tmpfs standing in for the project).
mkdir -p "$PEER_DIR/home/user" "$PEER_DIR/containers"
chmod 0755 "$PEER_DIR" "$PEER_DIR/containers"
mount --bind "$PEER_DIR/home" "$PEER_DIR/home"; MOUNTS+=("$PEER_DIR/home")
mount --make-shared "$PEER_DIR/home"
mount -t tmpfs -o mode=0777,size=16m tmpfs "$PEER_DIR/home/user"; MOUNTS+=("$PEER_DIR/home/user")
C="$PEER_DIR/containers/peer"
: > "$WORK/peer.ms"
for ((run = 1; run <= RUNS; run++)); do
  rm -rf "$C"
  mkdir -p "$C/delta" "$C/work"
  chmod 0755 "$C"
  chown 100000:100000 "$C/delta" "$C/work"  # liblxc's overlay is mounted as the mapped root
  cat > "$C/config" <<CONF
lxc.uts.name = peer
lxc.rootfs.path = overlay:$IMAGE:$C/delta
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.net.0.type = empty
lxc.autodev = 1
lxc.tty.max = 0
lxc.pty.max = 256
lxc.console.path = none
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.mount.entry = $PEER_DIR/home home none rbind,rslave,create=dir 0 0
lxc.log.file = $C/lxc.log
lxc.log.level = WARN
CONF
  t0=$(date +%s%N)
  lxc-start -n peer -P "$PEER_DIR/containers"
  lxc-attach -n peer -P "$PEER_DIR/containers" -- test -d /home/user/.
  t1=$(date +%s%N)
  ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
  echo "$ms" >> "$WORK/peer.ms"
  echo "by hand run $run: lxc-start + lxc-attach $ms ms"
  lxc-stop -k -n peer -P "$PEER_DIR/containers" >/dev/null
done
PEER_P50=$(percentile 50 < "$WORK/peer.ms")
PEER_P90=$(percentile 90 < "$WORK/peer.ms")

echo
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
printf '%-34s %10s %10s\n' "start -> command in container" "p50 (ms)" "p90 (ms)"
printf '%-34s %10s %10s\n' "berth Runtime::Start + Exec" "$BERTH_P50" "$BERTH_P90"
printf '%-34s %10s %10s\n' "lxc-start + lxc-attach by hand" "$PEER_P50" "$PEER_P90"
awk -v b="$BERTH_P50" -v p="$PEER_P50" 'BEGIN { printf "ratio berth/by-hand (p50): %.2f; target berth p50 <= 500 ms: %s\n", b / p, (b <= 500 ? "met" : "MISSED") }'
