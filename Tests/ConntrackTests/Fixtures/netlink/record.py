# Records raw ctnetlink bytes: events while calls run, then a dump.
import socket, struct, sys, os, select, time
out = sys.argv[1]
NETLINK_NETFILTER = 12
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((0, 1 | 2 | 4))
mode = sys.argv[2]
if mode == "events":
    # read until the stop file exists and no message came for 1 s
    data = bytearray()
    stop = out + ".stop"
    while True:
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            data += s.recv(1 << 16)
        elif os.path.exists(stop):
            break
    open(out, "wb").write(data)
else:
    s.close()
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    seq = 4242
    # nlmsghdr + nfgenmsg; IPCTNL_MSG_CT_GET = 1, subsys ctnetlink = 1
    msg = struct.pack("=IHHII", 20, (1 << 8) | 1, 1 | 0x300, seq, 0) + struct.pack("=BBH", 0, 0, 0)
    s.send(msg)
    data = bytearray()
    while True:
        chunk = s.recv(1 << 17)
        data += chunk
        off = 0; done = False
        while off + 16 <= len(chunk):
            ln, typ = struct.unpack_from("=IH", chunk, off)
            if typ == 3 or typ == 2: done = True
            off += (ln + 3) & ~3
        if done: break
    open(out, "wb").write(data)
