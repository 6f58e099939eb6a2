/*
 * CNetfilterConntrack: the C surface ctwatch uses from libnetfilter_conntrack
 * and libmnl, plus `static inline` helpers for what Swift cannot import
 * (macros over structures, function-like macros, attribute iteration) and
 * the ctnetlink entry decoder (ctw_flow_decode).
 * Only Sources/Conntrack/Internal includes this module.
 */
#ifndef CTWATCH_SHIM_H
#define CTWATCH_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sock_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

/* struct mmsghdr and recvmmsg are declared only with _GNU_SOURCE, which the
 * Glibc module is not built with: the same layout, and the raw system call. */
struct ctw_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/* MSG_WAITFORONE: block for the first message only (also _GNU_SOURCE). */
#define CTW_MSG_WAITFORONE 0x10000

static inline int ctw_recvmmsg(int fd, struct ctw_mmsghdr *msgs, unsigned int vlen, int flags)
{
    return (int)syscall(SYS_recvmmsg, fd, msgs, vlen, flags, NULL);
}

/* setns(fd, CLONE_NEWNET): both need _GNU_SOURCE in glibc's headers. */
static inline int ctw_setns_net(int fd) { return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */); }

/* Namespace files: nsfs's magic, and the namespace type of an fd (a CLONE_NEW* flag). */
/* Names the calling thread (prctl is variadic, which Swift cannot call). */
static inline int ctw_set_thread_name(const char *name) { return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

static inline long ctw_nsfs_magic(void) { return NSFS_MAGIC; }
static inline int ctw_ns_get_nstype(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
static inline int ctw_clone_newnet(void) { return 0x40000000; }
static inline int ctw_clone_newns(void) { return 0x00020000; }
static inline int ctw_clone_newuts(void) { return 0x04000000; }
static inline int ctw_clone_newipc(void) { return 0x08000000; }
static inline int ctw_clone_newuser(void) { return 0x10000000; }
static inline int ctw_clone_newpid(void) { return 0x20000000; }
static inline int ctw_clone_newcgroup(void) { return 0x02000000; }
static inline int ctw_clone_newtime(void) { return 0x00000080; }

/* getsockopt(SO_MEMINFO) fills SK_MEMINFO_VARS u32s; SK_MEMINFO_DROPS is the socket's drop counter. */
static inline int ctw_so_meminfo(void) { return SO_MEMINFO; }
static inline int ctw_sk_meminfo_vars(void) { return SK_MEMINFO_VARS; }
static inline int ctw_sk_meminfo_drops(void) { return SK_MEMINFO_DROPS; }

/* The netlink address family and its bind address. */
static inline int ctw_bind_netlink(int fd, uint32_t groups)
{
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof(addr));
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = groups;
    return bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
}

/* The port id the kernel assigned at bind, or -1 with errno. */
static inline int64_t ctw_netlink_port_id(int fd)
{
    struct sockaddr_nl addr;
    socklen_t len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return -1;
    return addr.nl_pid;
}

/* Sends to the kernel (port id 0). */
static inline ssize_t ctw_send_to_kernel(int fd, const void *buf, size_t len)
{
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof(addr));
    addr.nl_family = AF_NETLINK;
    return sendto(fd, buf, len, 0, (const struct sockaddr *)&addr, sizeof(addr));
}

/* Whether a message answers the request (seq, portid): libmnl's
 * mnl_nlmsg_seq_ok and mnl_nlmsg_portid_ok, where 0 on either side matches
 * anything (events carry seq 0 and port id 0). */
static inline int ctw_nlmsg_ours(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid)
{
    if (nlh->nlmsg_seq && seq && nlh->nlmsg_seq != seq) return 0;
    if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid) return 0;
    return 1;
}

static inline int ctw_netlink_netfilter(void) { return NETLINK_NETFILTER; }
static inline int ctw_netlink_route(void) { return NETLINK_ROUTE; }

/* The event kinds, the library's own numbering (not the kernel's). */
enum ctw_event_kind { CTW_EVENT_NONE = 0, CTW_EVENT_NEW = 1, CTW_EVENT_UPDATE = 2, CTW_EVENT_DESTROY = 3 };

/* Bits of ctw_flow.present: which optional attributes the kernel sent. */
enum {
    CTW_HAS_PORTS = 1 << 0,
    CTW_HAS_ICMP = 1 << 1,
    CTW_HAS_TCP_STATE = 1 << 2,
    CTW_HAS_TIMEOUT = 1 << 3,
    CTW_HAS_MARK = 1 << 4,
    CTW_HAS_ZONE = 1 << 5,
    CTW_HAS_ID = 1 << 6,
    CTW_HAS_STATUS = 1 << 7,
    CTW_HAS_TS_START = 1 << 8,
    CTW_HAS_TS_STOP = 1 << 9,
    CTW_HAS_COUNTERS = 1 << 10,
    CTW_HAS_REPLY_PORTS = 1 << 11,
    CTW_HAS_REPLY_ICMP = 1 << 12,
};

/*
 * A flat copy of one conntrack entry: addresses as two 64-bit words in host
 * order (IPv4 in the low 32 bits of *_lo), ports in host order.
 */
struct ctw_flow {
    uint32_t present;
    uint8_t l3proto;
    uint8_t l4proto;
    uint8_t tcp_state;
    uint8_t icmp_type;
    uint8_t icmp_code;
    uint16_t icmp_id;
    /* The reply tuple's ICMP part, which libnetfilter_conntrack parses but has no getter for. */
    uint8_t repl_icmp_type;
    uint8_t repl_icmp_code;
    uint16_t repl_icmp_id;
    uint64_t orig_src_hi, orig_src_lo, orig_dst_hi, orig_dst_lo;
    uint64_t repl_src_hi, repl_src_lo, repl_dst_hi, repl_dst_lo;
    uint16_t orig_sport, orig_dport, repl_sport, repl_dport;
    uint32_t status;
    uint32_t timeout;
    uint32_t mark;
    uint32_t id;
    uint16_t zone;
    uint64_t ts_start, ts_stop;
    uint64_t orig_packets, orig_bytes, repl_packets, repl_bytes;
};

/*
 * The ctnetlink entry decoder: one pass over a message's attributes straight
 * into a ctw_flow, with no intermediate object. It reads what
 * libnetfilter_conntrack's nfct_nlmsg_parse reads for these fields, by the
 * same rules: attribute types masked with NLA_TYPE_MASK, unknown types
 * skipped, a walk that stops at the first attribute that does not fit, and an
 * attribute this decoder reads whose payload is not exactly its type's size
 * makes the whole message malformed (-1), as libmnl's mnl_attr_validate would.
 * Measured on the JSON events tail: nfct_nlmsg_parse and its getters were
 * 29% of its samples, this decoder is about 4% (BENCHMARKS.md).
 */

/* libmnl's mnl_attr_ok, mnl_attr_next and accessors, inline. */
static inline int ctw_attr_ok(const struct nlattr *a, int remaining)
{
    return remaining >= (int)sizeof(struct nlattr) && a->nla_len >= sizeof(struct nlattr) && (int)a->nla_len <= remaining;
}
static inline const struct nlattr *ctw_attr_next(const struct nlattr *a, int *remaining)
{
    *remaining -= NLA_ALIGN(a->nla_len);
    return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}
static inline uint16_t ctw_attr_type(const struct nlattr *a) { return a->nla_type & NLA_TYPE_MASK; }
static inline int ctw_attr_len(const struct nlattr *a) { return (int)a->nla_len - NLA_HDRLEN; }
static inline const uint8_t *ctw_attr_data(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }

#define ctw_attr_for_each(a, start, len)                                                                   \
    for (int ctw_rem_##a = (len), ctw_ok_##a = 1; ctw_ok_##a; ctw_ok_##a = 0)                               \
        for (const struct nlattr *a = (start); ctw_attr_ok(a, ctw_rem_##a); a = ctw_attr_next(a, &ctw_rem_##a))
#define ctw_attr_for_each_nested(a, nest) ctw_attr_for_each(a, (const struct nlattr *)ctw_attr_data(nest), ctw_attr_len(nest))

/* Payloads of exactly the expected size, in host order (the kernel sends network order). */
static inline int ctw_attr_u8(const struct nlattr *a, uint8_t *out)
{
    if (ctw_attr_len(a) != 1) return -1;
    *out = ctw_attr_data(a)[0];
    return 0;
}
static inline int ctw_attr_be16(const struct nlattr *a, uint16_t *out)
{
    uint16_t v;
    if (ctw_attr_len(a) != 2) return -1;
    memcpy(&v, ctw_attr_data(a), 2);
    *out = ntohs(v);
    return 0;
}
static inline int ctw_attr_be32(const struct nlattr *a, uint32_t *out)
{
    uint32_t v;
    if (ctw_attr_len(a) != 4) return -1;
    memcpy(&v, ctw_attr_data(a), 4);
    *out = ntohl(v);
    return 0;
}
static inline int ctw_attr_be64(const struct nlattr *a, uint64_t *out)
{
    uint64_t v;
    if (ctw_attr_len(a) != 8) return -1;
    memcpy(&v, ctw_attr_data(a), 8);
    *out = be64toh(v);
    return 0;
}
static inline int ctw_attr_bytes16(const struct nlattr *a, uint8_t *out)
{
    if (ctw_attr_len(a) != 16) return -1;
    memcpy(out, ctw_attr_data(a), 16);
    return 0;
}
/* An empty nest, or one with room for at least one attribute header. */
static inline int ctw_attr_nested_ok(const struct nlattr *a)
{
    return ctw_attr_len(a) == 0 || ctw_attr_len(a) >= NLA_HDRLEN;
}

/* One tuple as sent: addresses of both families (absent ones stay zero),
 * ports, both ICMP sets; `has` records what the flat copy needs to know was sent. */
enum {
    CTW_T_SPORT = 1 << 0,
    CTW_T_ICMP_TYPE = 1 << 1, CTW_T_ICMP_CODE = 1 << 2, CTW_T_ICMP_ID = 1 << 3,
    CTW_T_ICMP6_TYPE = 1 << 4, CTW_T_ICMP6_CODE = 1 << 5, CTW_T_ICMP6_ID = 1 << 6,
};
struct ctw_tuple {
    uint32_t has;
    uint32_t v4_src, v4_dst;
    uint8_t v6_src[16], v6_dst[16];
    uint8_t proto;
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code, icmp6_type, icmp6_code;
    uint16_t icmp_id, icmp6_id;
};

static inline int ctw_decode_tuple_ip(const struct nlattr *nest, struct ctw_tuple *t)
{
    ctw_attr_for_each_nested(a, nest) {
        int bad = 0;
        switch (ctw_attr_type(a)) {
        case CTA_IP_V4_SRC: bad = ctw_attr_be32(a, &t->v4_src); break;
        case CTA_IP_V4_DST: bad = ctw_attr_be32(a, &t->v4_dst); break;
        case CTA_IP_V6_SRC: bad = ctw_attr_bytes16(a, t->v6_src); break;
        case CTA_IP_V6_DST: bad = ctw_attr_bytes16(a, t->v6_dst); break;
        }
        if (bad) return -1;
    }
    return 0;
}

static inline int ctw_decode_tuple_proto(const struct nlattr *nest, struct ctw_tuple *t)
{
    ctw_attr_for_each_nested(a, nest) {
        int bad = 0;
        switch (ctw_attr_type(a)) {
        case CTA_PROTO_NUM: bad = ctw_attr_u8(a, &t->proto); break;
        case CTA_PROTO_SRC_PORT: bad = ctw_attr_be16(a, &t->sport); t->has |= CTW_T_SPORT; break;
        case CTA_PROTO_DST_PORT: bad = ctw_attr_be16(a, &t->dport); break;
        case CTA_PROTO_ICMP_TYPE: bad = ctw_attr_u8(a, &t->icmp_type); t->has |= CTW_T_ICMP_TYPE; break;
        case CTA_PROTO_ICMP_CODE: bad = ctw_attr_u8(a, &t->icmp_code); t->has |= CTW_T_ICMP_CODE; break;
        case CTA_PROTO_ICMP_ID: bad = ctw_attr_be16(a, &t->icmp_id); t->has |= CTW_T_ICMP_ID; break;
        case CTA_PROTO_ICMPV6_TYPE: bad = ctw_attr_u8(a, &t->icmp6_type); t->has |= CTW_T_ICMP6_TYPE; break;
        case CTA_PROTO_ICMPV6_CODE: bad = ctw_attr_u8(a, &t->icmp6_code); t->has |= CTW_T_ICMP6_CODE; break;
        case CTA_PROTO_ICMPV6_ID: bad = ctw_attr_be16(a, &t->icmp6_id); t->has |= CTW_T_ICMP6_ID; break;
        }
        if (bad) return -1;
    }
    return 0;
}

static inline int ctw_decode_tuple(const struct nlattr *nest, struct ctw_tuple *t)
{
    if (!ctw_attr_nested_ok(nest)) return -1;
    ctw_attr_for_each_nested(a, nest) {
        switch (ctw_attr_type(a)) {
        case CTA_TUPLE_IP:
            if (!ctw_attr_nested_ok(a) || ctw_decode_tuple_ip(a, t) < 0) return -1;
            break;
        case CTA_TUPLE_PROTO:
            if (!ctw_attr_nested_ok(a) || ctw_decode_tuple_proto(a, t) < 0) return -1;
            break;
        }
    }
    return 0;
}

/* A tuple's address pair into the flat form: IPv6 as two 64-bit words, IPv4 in the low word. */
static inline void ctw_tuple_addresses(const struct ctw_tuple *t, uint8_t l3, uint64_t *src_hi, uint64_t *src_lo,
                                       uint64_t *dst_hi, uint64_t *dst_lo)
{
    if (l3 == AF_INET6) {
        uint64_t w[4];
        memcpy(&w[0], t->v6_src, 8);
        memcpy(&w[1], t->v6_src + 8, 8);
        memcpy(&w[2], t->v6_dst, 8);
        memcpy(&w[3], t->v6_dst + 8, 8);
        *src_hi = be64toh(w[0]);
        *src_lo = be64toh(w[1]);
        *dst_hi = be64toh(w[2]);
        *dst_lo = be64toh(w[3]);
    } else {
        *src_hi = 0;
        *src_lo = t->v4_src;
        *dst_hi = 0;
        *dst_lo = t->v4_dst;
    }
}

static inline int ctw_decode_counters(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes, int *has_packets)
{
    uint32_t small;
    int packets64 = 0, bytes64 = 0;
    if (!ctw_attr_nested_ok(nest)) return -1;
    ctw_attr_for_each_nested(a, nest) {
        switch (ctw_attr_type(a)) {
        case CTA_COUNTERS_PACKETS:
            if (ctw_attr_be64(a, packets) < 0) return -1;
            packets64 = *has_packets = 1;
            break;
        case CTA_COUNTERS_BYTES:
            if (ctw_attr_be64(a, bytes) < 0) return -1;
            bytes64 = 1;
            break;
        case CTA_COUNTERS32_PACKETS:
            if (ctw_attr_be32(a, &small) < 0) return -1;
            if (!packets64) *packets = small;
            *has_packets = 1;
            break;
        case CTA_COUNTERS32_BYTES:
            if (ctw_attr_be32(a, &small) < 0) return -1;
            if (!bytes64) *bytes = small;
            break;
        }
    }
    return 0;
}

/*
 * Decodes one ctnetlink entry message (the attributes after its nfgenmsg)
 * into `out`. Returns 0, or -1 when the message is malformed.
 */
static inline int ctw_flow_decode(const struct nlmsghdr *nlh, struct ctw_flow *out)
{
    const int header = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
    if (nlh->nlmsg_len < (uint32_t)header) return -1;
    const struct nfgenmsg *nfh = (const struct nfgenmsg *)((const uint8_t *)nlh + NLMSG_HDRLEN);
    struct ctw_tuple orig, repl;
    int has_orig = 0, has_orig_packets = 0, has_repl_packets = 0;
    memset(out, 0, sizeof(*out));
    memset(&orig, 0, sizeof(orig));
    memset(&repl, 0, sizeof(repl));
    ctw_attr_for_each(a, (const struct nlattr *)((const uint8_t *)nlh + header), (int)nlh->nlmsg_len - header) {
        int bad = 0;
        switch (ctw_attr_type(a)) {
        case CTA_TUPLE_ORIG: bad = ctw_decode_tuple(a, &orig); has_orig = 1; break;
        case CTA_TUPLE_REPLY: bad = ctw_decode_tuple(a, &repl); break;
        case CTA_STATUS: bad = ctw_attr_be32(a, &out->status); out->present |= CTW_HAS_STATUS; break;
        case CTA_TIMEOUT: bad = ctw_attr_be32(a, &out->timeout); out->present |= CTW_HAS_TIMEOUT; break;
        case CTA_MARK: bad = ctw_attr_be32(a, &out->mark); out->present |= CTW_HAS_MARK; break;
        case CTA_ID: bad = ctw_attr_be32(a, &out->id); out->present |= CTW_HAS_ID; break;
        case CTA_ZONE: bad = ctw_attr_be16(a, &out->zone); out->present |= CTW_HAS_ZONE; break;
        case CTA_PROTOINFO:
            if (!ctw_attr_nested_ok(a)) return -1;
            ctw_attr_for_each_nested(p, a) {
                if (ctw_attr_type(p) != CTA_PROTOINFO_TCP) continue;
                if (!ctw_attr_nested_ok(p)) return -1;
                ctw_attr_for_each_nested(t, p) {
                    if (ctw_attr_type(t) != CTA_PROTOINFO_TCP_STATE) continue;
                    if (ctw_attr_u8(t, &out->tcp_state) < 0) return -1;
                    out->present |= CTW_HAS_TCP_STATE;
                }
            }
            break;
        case CTA_TIMESTAMP:
            if (!ctw_attr_nested_ok(a)) return -1;
            ctw_attr_for_each_nested(t, a) {
                if (ctw_attr_type(t) == CTA_TIMESTAMP_START) {
                    if (ctw_attr_be64(t, &out->ts_start) < 0) return -1;
                    out->present |= CTW_HAS_TS_START;
                } else if (ctw_attr_type(t) == CTA_TIMESTAMP_STOP) {
                    if (ctw_attr_be64(t, &out->ts_stop) < 0) return -1;
                    out->present |= CTW_HAS_TS_STOP;
                }
            }
            break;
        case CTA_COUNTERS_ORIG:
            bad = ctw_decode_counters(a, &out->orig_packets, &out->orig_bytes, &has_orig_packets);
            break;
        case CTA_COUNTERS_REPLY:
            bad = ctw_decode_counters(a, &out->repl_packets, &out->repl_bytes, &has_repl_packets);
            break;
        }
        if (bad) return -1;
    }
    if (has_orig) {
        out->l3proto = nfh->nfgen_family;
        out->l4proto = orig.proto;
    }
    ctw_tuple_addresses(&orig, out->l3proto, &out->orig_src_hi, &out->orig_src_lo, &out->orig_dst_hi, &out->orig_dst_lo);
    ctw_tuple_addresses(&repl, out->l3proto, &out->repl_src_hi, &out->repl_src_lo, &out->repl_dst_hi, &out->repl_dst_lo);
    if (orig.has & CTW_T_SPORT) {
        out->present |= CTW_HAS_PORTS;
        out->orig_sport = orig.sport;
        out->orig_dport = orig.dport;
    }
    if (repl.has & CTW_T_SPORT) {
        out->present |= CTW_HAS_REPLY_PORTS;
        out->repl_sport = repl.sport;
        out->repl_dport = repl.dport;
    }
    /* The original tuple's ICMP or ICMPv6 type, code and id (ICMPv6's win when both came). */
    if (orig.has & (CTW_T_ICMP_TYPE | CTW_T_ICMP6_TYPE)) {
        out->present |= CTW_HAS_ICMP;
        out->icmp_type = (orig.has & CTW_T_ICMP6_TYPE) ? orig.icmp6_type : orig.icmp_type;
        out->icmp_code = (orig.has & CTW_T_ICMP6_CODE) ? orig.icmp6_code : orig.icmp_code;
        out->icmp_id = (orig.has & CTW_T_ICMP6_ID) ? orig.icmp6_id : orig.icmp_id;
    }
    /* The reply tuple's, by its own protocol number, when all three came. */
    const uint32_t icmp = CTW_T_ICMP_TYPE | CTW_T_ICMP_CODE | CTW_T_ICMP_ID;
    const uint32_t icmp6 = CTW_T_ICMP6_TYPE | CTW_T_ICMP6_CODE | CTW_T_ICMP6_ID;
    if (repl.proto == IPPROTO_ICMP && (repl.has & icmp) == icmp) {
        out->present |= CTW_HAS_REPLY_ICMP;
        out->repl_icmp_type = repl.icmp_type;
        out->repl_icmp_code = repl.icmp_code;
        out->repl_icmp_id = repl.icmp_id;
    } else if (repl.proto == IPPROTO_ICMPV6 && (repl.has & icmp6) == icmp6) {
        out->present |= CTW_HAS_REPLY_ICMP;
        out->repl_icmp_type = repl.icmp6_type;
        out->repl_icmp_code = repl.icmp6_code;
        out->repl_icmp_id = repl.icmp6_id;
    }
    if (has_orig_packets) out->present |= CTW_HAS_COUNTERS;
    return 0;
}

/*
 * Walks the netlink messages in buf[0..len) and decodes each conntrack entry
 * into flows[n] (a malformed one is skipped). Stops after `max` flows and returns the byte
 * offset it reached in *consumed.
 * Returns the number of flows written; *done is set on NLMSG_DONE, *error to
 * the (positive) errno of an NLMSG_ERROR message other than an ACK, and
 * *interrupted to 1 when a message carries NLM_F_DUMP_INTR (left alone
 * otherwise, so it accumulates over the chunks of one dump). Messages whose
 * seq or port id is not (seq, portid) are skipped.
 */
static inline int ctw_parse_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid,
                                     struct ctw_flow *flows, uint8_t *kinds, int max,
                                     size_t *consumed, int *done, int *error, int *interrupted)
{
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
    int remaining = (int)len;
    int n = 0;
    *done = 0;
    *error = 0;
    while (n < max && mnl_nlmsg_ok(nlh, remaining)) {
        if (!ctw_nlmsg_ours(nlh, seq, portid)) {
            nlh = mnl_nlmsg_next(nlh, &remaining);
            continue;
        }
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = 1;
        if (nlh->nlmsg_type == NLMSG_DONE) {
            *done = 1;
            nlh = mnl_nlmsg_next(nlh, &remaining);
            break;
        }
        if (nlh->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *err = (const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh);
            if (err->error != 0) *error = -err->error;
            else *done = 1;
            nlh = mnl_nlmsg_next(nlh, &remaining);
            break;
        }
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_CTNETLINK) {
            uint8_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
            uint8_t kind = CTW_EVENT_NONE;
            if (type == IPCTNL_MSG_CT_NEW)
                kind = (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ? CTW_EVENT_NEW : CTW_EVENT_UPDATE;
            else if (type == IPCTNL_MSG_CT_DELETE)
                kind = CTW_EVENT_DESTROY;
            if (kind != CTW_EVENT_NONE && ctw_flow_decode(nlh, &flows[n]) == 0) {
                kinds[n] = kind;
                n++;
            }
        }
        nlh = mnl_nlmsg_next(nlh, &remaining);
    }
    *consumed = len - (size_t)(remaining > 0 ? remaining : 0);
    if (!mnl_nlmsg_ok(nlh, remaining)) *consumed = len;
    return n;
}

/* Builds a conntrack dump request (optionally with a kernel-side filter). */
static inline size_t ctw_build_dump(void *buf, uint32_t seq, uint8_t family, uint8_t msg_type,
                                    const struct nfct_filter_dump *filter)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg_type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = (struct nfgenmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = family;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    if (filter) nfct_nlmsg_build_filter(nlh, filter);
    return nlh->nlmsg_len;
}

/* Reads the u32 attributes of a statistics message into out[1..max]; bit `type` of
 * *present is set for each attribute the message carried. */
static inline uint16_t ctw_parse_u32_attrs(const struct nlmsghdr *nlh, uint32_t *out, uint16_t max, uint32_t *present)
{
    const struct nlattr *attr;
    mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
        uint16_t type = mnl_attr_get_type(attr);
        if (type <= max && type < 32 && mnl_attr_get_payload_len(attr) == 4) {
            out[type] = ntohl(mnl_attr_get_u32(attr));
            *present |= 1u << type;
        }
    }
    return ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id;
}


/* Generic walk for the parsers below: `max` must cover every message of the
 * chunk (the caller sizes `out` as len / NLMSG_HDRLEN + 1), so none is skipped.
 * Messages not of (seq, portid) are skipped; NLM_F_DUMP_INTR sets *interrupted. */
#define CTW_WALK_BEGIN(buf, len)                                              \
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf);             \
    int remaining = (int)(len);                                               \
    int n = 0;                                                                \
    *done = 0;                                                                \
    *error = 0;                                                               \
    for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) { \
        if (!ctw_nlmsg_ours(nlh, seq, portid)) continue;                      \
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = 1;             \
        if (nlh->nlmsg_type == NLMSG_DONE) { *done = 1; break; }              \
        if (nlh->nlmsg_type == NLMSG_ERROR) {                                 \
            const struct nlmsgerr *e = (const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh); \
            if (e->error != 0) *error = -e->error; else *done = 1;            \
            break;                                                            \
        }
#define CTW_WALK_END } return n;

/* One statistics message of IPCTNL_MSG_CT_GET_STATS_CPU or _GET_STATS. */
struct ctw_stats {
    uint16_t cpu;
    uint8_t global; /* 1: CTA_STATS_GLOBAL_* in values[1..2] */
    uint32_t present; /* bit n: the message carried attribute n */
    uint32_t values[CTA_STATS_MAX + 1];
};

static inline int ctw_parse_stats_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctw_stats *out, int max,
        int *done, int *error, int *interrupted)
{
    CTW_WALK_BEGIN(buf, len)
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK || n >= max) continue;
        uint8_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
        if (type != IPCTNL_MSG_CT_GET_STATS_CPU && type != IPCTNL_MSG_CT_GET_STATS) continue;
        memset(&out[n], 0, sizeof(out[n]));
        out[n].global = type == IPCTNL_MSG_CT_GET_STATS;
        out[n].cpu = ntohs(ctw_parse_u32_attrs(nlh, out[n].values, CTA_STATS_MAX, &out[n].present));
        n++;
    CTW_WALK_END
}

/* nf_tables: one chain of the namespace's rule set (`nft list chains`), by name only.
 * Longer names (up to NFT_NAME_MAXLEN) are cut: the names looked for are short. */
struct ctw_nft_chain { uint8_t family; char table[64]; char name[64]; };

/* An NFT_MSG_GETCHAIN dump of every family. */
static inline size_t ctw_build_nft_chain_dump(void *buf, uint32_t seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = (struct nfgenmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = NFPROTO_UNSPEC;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh->nlmsg_len;
}

static inline void ctw_copy_name(char *dst, size_t size, const struct nlattr *attr)
{
    size_t len = strnlen((const char *)mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
    if (len >= size) len = size - 1;
    memcpy(dst, mnl_attr_get_payload(attr), len);
    dst[len] = 0;
}

static inline int ctw_parse_nft_chains(const void *buf, size_t len, uint32_t seq, uint32_t portid,
        struct ctw_nft_chain *out, int max, int *done, int *error, int *interrupted)
{
    CTW_WALK_BEGIN(buf, len)
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES || n >= max) continue;
        if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWCHAIN) continue;
        memset(&out[n], 0, sizeof(out[n]));
        out[n].family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
        const struct nlattr *attr;
        mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
            uint16_t type = mnl_attr_get_type(attr);
            if (type == NFTA_CHAIN_TABLE) ctw_copy_name(out[n].table, sizeof(out[n].table), attr);
            else if (type == NFTA_CHAIN_NAME) ctw_copy_name(out[n].name, sizeof(out[n].name), attr);
        }
        n++;
    CTW_WALK_END
}

/* Builds a non-dump conntrack request (IPCTNL_MSG_CT_GET_STATS). */
static inline size_t ctw_build_get(void *buf, uint32_t seq, uint8_t msg_type)
{
    size_t len = ctw_build_dump(buf, seq, AF_UNSPEC, msg_type, NULL);
    ((struct nlmsghdr *)buf)->nlmsg_flags = NLM_F_REQUEST;
    return len;
}

/* rtnetlink: links and addresses of the namespace the socket lives in. */
/* nf_call_*: a bridge's own IFLA_BR_NF_CALL_IPTABLES / _IP6TABLES, -1 when not sent. */
/* master: IFLA_MASTER, 0 when not enslaved. bridge_port: 1 when IFLA_INFO_SLAVE_KIND is "bridge";
 * hairpin: its IFLA_BRPORT_MODE. promiscuity: IFLA_PROMISCUITY, a count. */
struct ctw_link {
    int32_t index; char name[IFNAMSIZ]; char kind[32]; int8_t nf_call_iptables, nf_call_ip6tables;
    int32_t master; uint32_t promiscuity; uint8_t bridge_port, hairpin;
    int64_t ageing; /* a bridge's IFLA_BR_AGEING_TIME in clock ticks, -1 when not sent */
};
struct ctw_addr { int32_t index; uint8_t family; uint8_t prefixlen; uint64_t hi, lo; };

static inline size_t ctw_build_rt_dump(void *buf, uint16_t type, uint8_t family, uint32_t seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    if (type == RTM_GETLINK) {
        struct ifinfomsg *ifi = (struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
        ifi->ifi_family = family;
    } else {
        struct ifaddrmsg *ifa = (struct ifaddrmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg));
        ifa->ifa_family = family;
    }
    return nlh->nlmsg_len;
}

static inline int ctw_parse_links(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctw_link *out, int max,
        int *done, int *error, int *interrupted)
{
    CTW_WALK_BEGIN(buf, len)
        if (nlh->nlmsg_type != RTM_NEWLINK || n >= max) continue;
        const struct ifinfomsg *ifi = (const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh);
        memset(&out[n], 0, sizeof(out[n]));
        out[n].index = ifi->ifi_index;
        out[n].nf_call_iptables = out[n].nf_call_ip6tables = -1;
        out[n].ageing = -1;
        const struct nlattr *attr;
        mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
            if (mnl_attr_get_type(attr) == IFLA_IFNAME) {
                strncpy(out[n].name, mnl_attr_get_str(attr), IFNAMSIZ - 1);
            } else if (mnl_attr_get_type(attr) == IFLA_MASTER && mnl_attr_get_payload_len(attr) >= 4) {
                out[n].master = (int32_t)mnl_attr_get_u32(attr);
            } else if (mnl_attr_get_type(attr) == IFLA_PROMISCUITY && mnl_attr_get_payload_len(attr) >= 4) {
                out[n].promiscuity = mnl_attr_get_u32(attr);
            } else if (mnl_attr_get_type(attr) == IFLA_LINKINFO) {
                const struct nlattr *inner, *data = NULL, *slave_data = NULL;
                char slave_kind[32] = {0};
                mnl_attr_for_each_nested(inner, attr) {
                    if (mnl_attr_get_type(inner) == IFLA_INFO_KIND)
                        strncpy(out[n].kind, mnl_attr_get_str(inner), sizeof(out[n].kind) - 1);
                    else if (mnl_attr_get_type(inner) == IFLA_INFO_DATA)
                        data = inner;
                    else if (mnl_attr_get_type(inner) == IFLA_INFO_SLAVE_KIND)
                        strncpy(slave_kind, mnl_attr_get_str(inner), sizeof(slave_kind) - 1);
                    else if (mnl_attr_get_type(inner) == IFLA_INFO_SLAVE_DATA)
                        slave_data = inner;
                }
                /* IFLA_INFO_SLAVE_DATA's attributes are numbered per master kind, like IFLA_INFO_DATA's. */
                if (strcmp(slave_kind, "bridge") == 0) {
                    out[n].bridge_port = 1;
                    const struct nlattr *option;
                    if (slave_data) {
                        mnl_attr_for_each_nested(option, slave_data) {
                            if (mnl_attr_get_type(option) == IFLA_BRPORT_MODE && mnl_attr_get_payload_len(option) >= 1)
                                out[n].hairpin = mnl_attr_get_u8(option) != 0;
                        }
                    }
                }
                /* IFLA_INFO_DATA's attributes are numbered per kind: read them only for a bridge. */
                if (data && strcmp(out[n].kind, "bridge") == 0) {
                    const struct nlattr *option;
                    mnl_attr_for_each_nested(option, data) {
                        if (mnl_attr_get_payload_len(option) < 1) continue;
                        if (mnl_attr_get_type(option) == IFLA_BR_NF_CALL_IPTABLES)
                            out[n].nf_call_iptables = mnl_attr_get_u8(option) != 0;
                        else if (mnl_attr_get_type(option) == IFLA_BR_NF_CALL_IP6TABLES)
                            out[n].nf_call_ip6tables = mnl_attr_get_u8(option) != 0;
                        else if (mnl_attr_get_type(option) == IFLA_BR_AGEING_TIME && mnl_attr_get_payload_len(option) >= 4)
                            out[n].ageing = mnl_attr_get_u32(option);
                    }
                }
            }
        }
        n++;
    CTW_WALK_END
}

/* rtnetlink neighbours: one RTM_NEWNEIGH of the neighbour tables (AF_INET, AF_INET6)
 * or of the bridges' forwarding databases (AF_BRIDGE). dst: NDA_DST as two 64-bit
 * words in host order (IPv4 in the low 32 bits of lo), dst_len 0 when absent.
 * has_lladdr: whether NDA_LLADDR was sent (unresolved entries have none). master: NDA_MASTER, 0 when absent.
 * vlan: NDA_VLAN, -1 when absent. updated, confirmed: NDA_CACHEINFO's ndm_updated and ndm_confirmed
 * (clock ticks since the entry last changed state, and since the neighbour was last confirmed), -1 when absent. */
struct ctw_neigh {
    int32_t index; uint8_t family; uint8_t flags; uint16_t state;
    uint8_t dst_len; uint64_t hi, lo;
    uint8_t has_lladdr, lladdr_len; uint8_t lladdr[32];
    int32_t master; int32_t vlan;
    int64_t updated, confirmed;
};

static inline size_t ctw_build_neigh_dump(void *buf, uint8_t family, uint32_t seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct ndmsg *ndm = (struct ndmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
    ndm->ndm_family = family;
    return nlh->nlmsg_len;
}

static inline int ctw_parse_neighs(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctw_neigh *out, int max,
        int *done, int *error, int *interrupted)
{
    CTW_WALK_BEGIN(buf, len)
        if (nlh->nlmsg_type != RTM_NEWNEIGH || n >= max) continue;
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg)) continue;
        const struct ndmsg *ndm = (const struct ndmsg *)mnl_nlmsg_get_payload(nlh);
        memset(&out[n], 0, sizeof(out[n]));
        out[n].index = ndm->ndm_ifindex;
        out[n].family = ndm->ndm_family;
        out[n].flags = ndm->ndm_flags;
        out[n].state = ndm->ndm_state;
        out[n].vlan = -1;
        out[n].updated = out[n].confirmed = -1;
        const struct nlattr *attr;
        mnl_attr_for_each(attr, nlh, sizeof(*ndm)) {
            uint16_t type = mnl_attr_get_type(attr);
            uint16_t size = mnl_attr_get_payload_len(attr);
            const uint8_t *payload = (const uint8_t *)mnl_attr_get_payload(attr);
            if (type == NDA_DST && size == 4) {
                uint32_t v; memcpy(&v, payload, 4);
                out[n].hi = 0; out[n].lo = ntohl(v); out[n].dst_len = 4;
            } else if (type == NDA_DST && size == 16) {
                uint64_t h, l; memcpy(&h, payload, 8); memcpy(&l, payload + 8, 8);
                out[n].hi = be64toh(h); out[n].lo = be64toh(l); out[n].dst_len = 16;
            } else if (type == NDA_LLADDR && size <= sizeof(out[n].lladdr)) {
                memcpy(out[n].lladdr, payload, size);
                out[n].lladdr_len = (uint8_t)size;
                out[n].has_lladdr = 1;
            } else if (type == NDA_MASTER && size >= 4) {
                out[n].master = (int32_t)mnl_attr_get_u32(attr);
            } else if (type == NDA_VLAN && size >= 2) {
                out[n].vlan = mnl_attr_get_u16(attr);
            } else if (type == NDA_CACHEINFO && size >= sizeof(struct nda_cacheinfo)) {
                struct nda_cacheinfo info; memcpy(&info, payload, sizeof(info));
                out[n].updated = info.ndm_updated;
                out[n].confirmed = info.ndm_confirmed;
            }
        }
        n++;
    CTW_WALK_END
}

static inline int ctw_parse_addrs(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct ctw_addr *out, int max,
        int *done, int *error, int *interrupted)
{
    CTW_WALK_BEGIN(buf, len)
        if (nlh->nlmsg_type != RTM_NEWADDR || n >= max) continue;
        const struct ifaddrmsg *ifa = (const struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh);
        memset(&out[n], 0, sizeof(out[n]));
        out[n].index = (int32_t)ifa->ifa_index;
        out[n].family = ifa->ifa_family;
        out[n].prefixlen = ifa->ifa_prefixlen;
        const struct nlattr *attr;
        int found = 0;
        mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
            uint16_t t = mnl_attr_get_type(attr);
            /* IFA_LOCAL is the interface's own address on point-to-point links. */
            if (t != IFA_ADDRESS && t != IFA_LOCAL) continue;
            if (found && t == IFA_ADDRESS) continue;
            const uint8_t *a = (const uint8_t *)mnl_attr_get_payload(attr);
            if (ifa->ifa_family == AF_INET && mnl_attr_get_payload_len(attr) == 4) {
                uint32_t v; memcpy(&v, a, 4);
                out[n].hi = 0; out[n].lo = ntohl(v); found = 1;
            } else if (ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(attr) == 16) {
                uint64_t h, l; memcpy(&h, a, 8); memcpy(&l, a + 8, 8);
                out[n].hi = be64toh(h); out[n].lo = be64toh(l); found = 1;
            }
            if (t == IFA_LOCAL) found = 2;
        }
        if (found) n++;
    CTW_WALK_END
}

/*
 * SHA-1 block compression with the x86 SHA extensions, for Community IDs
 * (one block per event): a quarter of the CPU of the portable Swift rounds
 * (BENCHMARKS.md). state: h0..h4; block: the 16 message words, already read
 * big-endian. ctw_sha1_hardware() says whether this CPU has the instructions
 * (CPUID leaf 7 EBX bit 29, with SSSE3 and SSE4.1); elsewhere it is 0 and
 * Conntrack's SHA1 keeps to its portable rounds.
 */
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static inline int ctw_sha1_hardware(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & bit_SHA) != 0;
}

/* One group of four rounds, g = 0..19. The message schedule rides in m[0..3]
 * (sha1msg1, xor, sha1msg2 make W[t] from W[t-16..t-3]); e[g & 1] carries E
 * into the group, e[(g + 1) & 1] takes ABCD for the next one. */
#define CTW_SHA1_GROUP(g)                                                                  \
    do {                                                                                   \
        if ((g) == 0) e[0] = _mm_add_epi32(e[0], m[0]);                                    \
        else e[(g) & 1] = _mm_sha1nexte_epu32(e[(g) & 1], m[(g) & 3]);                     \
        e[((g) + 1) & 1] = abcd;                                                           \
        if ((g) >= 3 && (g) <= 18) m[((g) + 1) & 3] = _mm_sha1msg2_epu32(m[((g) + 1) & 3], m[(g) & 3]); \
        abcd = _mm_sha1rnds4_epu32(abcd, e[(g) & 1], (g) / 5);                             \
        if ((g) >= 1 && (g) <= 16) m[((g) + 3) & 3] = _mm_sha1msg1_epu32(m[((g) + 3) & 3], m[(g) & 3]); \
        if ((g) >= 2 && (g) <= 17) m[((g) + 2) & 3] = _mm_xor_si128(m[((g) + 2) & 3], m[(g) & 3]); \
    } while (0)

__attribute__((target("sha,ssse3,sse4.1")))
static inline void ctw_sha1_compress_hardware(uint32_t *state, const uint32_t *block)
{
    /* The instructions want A (and E) in the highest lane, W[t] before W[t+1] from the top. */
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
    __m128i e[2] = {_mm_set_epi32((int)state[4], 0, 0, 0), _mm_setzero_si128()};
    const __m128i abcd_start = abcd, e_start = e[0];
    __m128i m[4];
    for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(block + 4 * i)), 0x1B);
    CTW_SHA1_GROUP(0); CTW_SHA1_GROUP(1); CTW_SHA1_GROUP(2); CTW_SHA1_GROUP(3); CTW_SHA1_GROUP(4);
    CTW_SHA1_GROUP(5); CTW_SHA1_GROUP(6); CTW_SHA1_GROUP(7); CTW_SHA1_GROUP(8); CTW_SHA1_GROUP(9);
    CTW_SHA1_GROUP(10); CTW_SHA1_GROUP(11); CTW_SHA1_GROUP(12); CTW_SHA1_GROUP(13); CTW_SHA1_GROUP(14);
    CTW_SHA1_GROUP(15); CTW_SHA1_GROUP(16); CTW_SHA1_GROUP(17); CTW_SHA1_GROUP(18); CTW_SHA1_GROUP(19);
    e[0] = _mm_sha1nexte_epu32(e[0], e_start);
    abcd = _mm_add_epi32(abcd, abcd_start);
    _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1B));
    state[4] = (uint32_t)_mm_extract_epi32(e[0], 3);
}
#undef CTW_SHA1_GROUP
#else
static inline int ctw_sha1_hardware(void) { return 0; }
static inline void ctw_sha1_compress_hardware(uint32_t *state, const uint32_t *block) { (void)state; (void)block; }
#endif

#endif
