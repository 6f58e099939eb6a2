#!/bin/sh
# Records stats-cpu.bin and stats-global.bin (record-stats.py) with `conntrack -S` and
# `conntrack -C` beside them, in a scratch namespace nothing else uses, so the counters
# cannot move between the reads:
#   two entries inserted over ctnetlink from CPU 0 and one from CPU 1 (insert=2, insert=1),
#   three TCP segments with SYN and RST set sent to 127.0.0.1 from CPU 1 through an nft
#   rule that makes conntrack see them (invalid=6: each is seen on output and on input).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=ctwrec-stats$$
trap 'ip netns del $ns 2>/dev/null' EXIT
ip netns add $ns
ip -n $ns link set lo up
ip netns exec $ns nft add table inet t
ip netns exec $ns nft add chain inet t out '{ type filter hook output priority 0; }'
ip netns exec $ns nft add rule inet t out ct state invalid counter
insert() {
    ip netns exec $ns taskset -c "$1" conntrack -I -p tcp -s 10.0.0.1 -d 10.0.0.2 --sport "$2" --dport 80 \
        --state ESTABLISHED -u SEEN_REPLY -t 100 2>/dev/null
}
insert 0 1001
insert 0 1002
insert 1 1003
ip netns exec $ns taskset -c 1 python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for port in (40001, 40002, 40003):
    # source port, destination port 9, seq 1, ack 0, header of 5 words, SYN|RST, window
    s.sendto(struct.pack("!HHIIBBHHH", port, 9, 1, 0, 5 << 4, 0x06, 1024, 0, 0), ("127.0.0.1", 0))
PY
ip netns exec $ns python3 "$here/record-stats.py" cpu "$here/stats-cpu.bin"
ip netns exec $ns python3 "$here/record-stats.py" global "$here/stats-global.bin"
ip netns exec $ns conntrack -S > "$here/stats-conntrack-S.txt"
ip netns exec $ns conntrack -C > "$here/stats-conntrack-C.txt"
cat /proc/sys/net/netfilter/nf_conntrack_max > "$here/stats-nf_conntrack_max.txt"
