#!/bin/sh
# Records neighbours.bin, fdb.bin and bridge-ports-links.bin in two scratch namespaces:
# node: bridge br0 (promisc on, 10.9.0.1/24, fd09::1/64, MAC 02:00:00:00:00:01) with ports
#   port-pod (hairpin on) to eth0 of namespace pod (10.9.0.2, fd09::2, 02:00:00:00:00:02)
#   and port-idle (hairpin off) to idle-peer, which stays in node without an address;
# (This kernel has no bridge VLAN filtering, so no entry carries a VLAN.)
# The node pings 10.9.0.2 and fd09::2 (REACHABLE), 10.9.0.99 until its entry is
# FAILED, and 10.9.0.98 once just before the recording (INCOMPLETE).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node=ctwrec-node pod=ctwrec-pod
trap 'ip netns del $node 2>/dev/null; ip netns del $pod 2>/dev/null' EXIT
ip netns add $node
ip netns add $pod
ip -n $node link set lo up
ip -n $pod link set lo up
ip -n $node link add br0 address 02:00:00:00:00:01 type bridge
ip -n $node link set br0 promisc on
ip -n $node addr add 10.9.0.1/24 dev br0
ip -n $node addr add fd09::1/64 dev br0 nodad
ip -n $node link set br0 up
ip -n $node link add port-pod address 02:00:00:00:01:01 type veth peer name eth0 address 02:00:00:00:00:02 netns $pod
ip -n $node link set port-pod master br0
ip -n $node link set port-pod type bridge_slave hairpin on
ip -n $node link set port-pod up
ip -n $pod addr add 10.9.0.2/24 dev eth0
ip -n $pod addr add fd09::2/64 dev eth0 nodad
ip -n $pod link set eth0 up
ip -n $node link add port-idle address 02:00:00:00:01:02 type veth peer name idle-peer address 02:00:00:00:01:03
ip -n $node link set port-idle master br0
ip -n $node link set port-idle up
ip -n $node link set idle-peer up
ip netns exec $node ping -c 1 -W 5 10.9.0.2 >/dev/null
ip netns exec $node ping -6 -c 1 -W 5 fd09::2 >/dev/null
until ip -n $node neigh show 10.9.0.99 | grep -q FAILED; do
    ip netns exec $node ping -c 1 -W 1 10.9.0.99 >/dev/null || true
done
ip netns exec $node ping -c 1 -W 1 10.9.0.98 >/dev/null &
until ip -n $node neigh show 10.9.0.98 | grep -q INCOMPLETE; do sleep 0.1; done
ip netns exec $node python3 "$here/record-rtnetlink.py" neighbours "$here/neighbours.bin"
ip netns exec $node python3 "$here/record-rtnetlink.py" fdb "$here/fdb.bin"
ip netns exec $node python3 "$here/record-rtnetlink.py" links "$here/bridge-ports-links.bin"
ip -n $node neigh show > "$here/neighbours-ip-neigh.txt"
bridge -n $node fdb show > "$here/fdb-bridge-fdb.txt"
ip -n $node -d link show > "$here/bridge-ports-ip-link.txt"
wait
