#!/usr/bin/env bash
# Removes what a test node left on this machine: its processes (also containerd's shims, which outlive containerd,
# and the containers they hold), its mounts (kubelet volumes, container root filesystems, network namespaces), its
# bridge, the iptables rules of kube-proxy and kube-router, and its kubepods cgroups. Idempotent; run at every node
# stop and before every node start in the same directory (a killed test run leaves it all behind).
#   tools/node/cleanup.sh <node dir> [<node bin dir>]
set -uo pipefail
dir=${1:?node dir}
bin=${2:-}
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)

# 1. processes: the ones the node started (pids file), then every process whose command line names the node dir
#    (shims run with -address <dir>/containerd/containerd.sock), then the containers' processes (in kubepods cgroups)
if [ -f "$dir/pids" ]; then
  while read -r pid; do kill -TERM "$pid" 2>/dev/null; done < "$dir/pids"
  sleep 2
  while read -r pid; do kill -KILL "$pid" 2>/dev/null; done < "$dir/pids"
  rm -f "$dir/pids"
fi
pkill -KILL -f -- "$dir/" 2>/dev/null
for tasks in /sys/fs/cgroup/pids/kubepods*/tasks /sys/fs/cgroup/pids/kubepods*/*/tasks /sys/fs/cgroup/pids/kubepods*/*/*/tasks \
             /sys/fs/cgroup/pids/kubepods*/*/*/*/tasks; do
  [ -f "$tasks" ] && xargs -r kill -KILL < "$tasks" 2>/dev/null
done
sleep 1

# 2. mounts under the node dir and the CRI's network namespaces, deepest first
grep -oE " ($dir/[^ ]*|/run/netns/cni-[^ ]*|/var/run/netns/cni-[^ ]*) " /proc/self/mounts | tr -d ' ' | sort -r | uniq \
  | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -f /run/netns/cni-* 2>/dev/null

# 3. network: the bridge, and the rules kube-proxy and kube-router wrote
ip link del collab0 2>/dev/null
if [ -n "$bin" ] && [ -x "$bin/kube-proxy" ]; then
  "$bin/kube-proxy" --cleanup >/dev/null 2>&1
fi
for table in filter nat mangle; do
  iptables -t "$table" -S 2>/dev/null | grep -E 'KUBE-|CNI-' | grep '^-A' | sed 's/^-A/-D/' \
    | while read -r rule; do eval iptables -t "$table" "$rule" 2>/dev/null; done
  iptables -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}' \
    | while read -r chain; do iptables -t "$table" -F "$chain" 2>/dev/null; done
  iptables -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}' \
    | while read -r chain; do iptables -t "$table" -X "$chain" 2>/dev/null; done
done
ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' | while read -r set; do ipset destroy "$set" 2>/dev/null; done

# 4. the kubelet's cgroups (empty now), deepest first
for hierarchy in /sys/fs/cgroup/*/; do
  [ -d "$hierarchy/kubepods" ] || [ -d "$hierarchy/kubepods.slice" ] || continue
  find "$hierarchy"kubepods* -depth -type d -exec rmdir {} \; 2>/dev/null
done
rm -rf "$dir" 2>/dev/null || { sleep 2; rm -rf "$dir"; }
exit 0
