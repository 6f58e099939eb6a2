# Records the raw answers to the two ctnetlink statistics requests of the namespace it runs in:
#   python3 record-stats.py cpu OUT      IPCTNL_MSG_CT_GET_STATS_CPU dump (one message per CPU, `conntrack -S`)
#   python3 record-stats.py global OUT   IPCTNL_MSG_CT_GET_STATS (entries and nf_conntrack_max, `conntrack -C`)
# record-stats.sh builds the namespace the statistics fixtures were recorded in.
import socket, struct, sys
NFNL_SUBSYS_CTNETLINK, GET_STATS_CPU, GET_STATS = 1, 4, 5
kind, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
message_type = NFNL_SUBSYS_CTNETLINK << 8 | (GET_STATS_CPU if kind == "cpu" else GET_STATS)
flags = 1 | (0x300 if kind == "cpu" else 0)  # NLM_F_REQUEST, and NLM_F_DUMP for the per-CPU dump
body = struct.pack("=BBH", socket.AF_UNSPEC, 0, 0)  # nfgenmsg: family, NFNETLINK_V0, res_id
s.send(struct.pack("=IHHII", 16 + len(body), message_type, flags, 4245, 0) + body)
data = bytearray()
done = False
while not done:
    chunk = s.recv(1 << 17)
    data += chunk
    off = 0
    while off + 16 <= len(chunk):
        length, answer_type = struct.unpack_from("=IH", chunk, off)
        # NLMSG_ERROR or NLMSG_DONE end a dump; the plain GET has one answer
        if answer_type in (2, 3) or kind == "global":
            done = True
        off += (length + 3) & ~3
open(out, "wb").write(data)
