# Records the raw answer to one rtnetlink dump request of the namespace it runs in:
#   python3 record-rtnetlink.py links OUT       RTM_GETLINK, AF_UNSPEC (RTM_NEWLINK messages)
#   python3 record-rtnetlink.py neighbours OUT  RTM_GETNEIGH, AF_UNSPEC (`ip neigh`)
#   python3 record-rtnetlink.py fdb OUT         RTM_GETNEIGH, AF_BRIDGE (`bridge fdb`)
# record-neighbours.sh builds the namespaces the neighbour fixtures were recorded in.
import socket, struct, sys
RTM_GETLINK, RTM_GETNEIGH, AF_UNSPEC, AF_BRIDGE = 18, 30, 0, 7
kind, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
if kind == "links":
    body = struct.pack("=BBHiII", AF_UNSPEC, 0, 0, 0, 0, 0)  # ifinfomsg
    kind_number = RTM_GETLINK
else:
    body = struct.pack("=BBHiHBB", AF_BRIDGE if kind == "fdb" else AF_UNSPEC, 0, 0, 0, 0, 0, 0)  # ndmsg
    kind_number = RTM_GETNEIGH
# NLM_F_REQUEST | NLM_F_DUMP
s.send(struct.pack("=IHHII", 16 + len(body), kind_number, 1 | 0x300, 4244, 0) + body)
data = bytearray()
done = False
while not done:
    chunk = s.recv(1 << 17)
    data += chunk
    off = 0
    while off + 16 <= len(chunk):
        length, message_type = struct.unpack_from("=IH", chunk, off)
        if message_type in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
            done = True
        off += (length + 3) & ~3
open(out, "wb").write(data)
