# Records a raw RTM_GETLINK dump answer (RTM_NEWLINK messages) of the namespace it runs in.
# Used in a scratch namespace holding bridges with each nf_call_* setting:
#   ip netns add rec; ip -n rec link add br-on type bridge nf_call_iptables 1 nf_call_ip6tables 0
#   ip -n rec link add br-off type bridge; ip netns exec rec python3 record-links.py links.bin
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
# nlmsghdr + ifinfomsg; RTM_GETLINK = 18, NLM_F_REQUEST | NLM_F_DUMP
msg = struct.pack("=IHHII", 32, 18, 1 | 0x300, 4243, 0) + struct.pack("=BBHiII", 0, 0, 0, 0, 0, 0)
s.send(msg)
data = bytearray()
while True:
    chunk = s.recv(1 << 17)
    data += chunk
    # the answer ends with NLMSG_DONE (type 3)
    off, done = 0, False
    while off + 16 <= len(chunk):
        length, kind = struct.unpack_from("=IH", chunk, off)
        if kind == 3: done = True
        off += (length + 3) & ~3
    if done: break
open(sys.argv[1], "wb").write(data)
