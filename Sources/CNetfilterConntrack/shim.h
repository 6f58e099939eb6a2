/*
 * CNetfilterConntrack: the C surface ctwatch uses from libnetfilter_conntrack
 * and libmnl, plus `static inline` helpers for what Swift cannot import
 * (macros over structures, function-like macros, attribute iteration).
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

static inline void ctw_copy_addr(const struct nf_conntrack *ct, int v4attr, int v6attr,
                                 uint8_t l3, uint64_t *hi, uint64_t *lo)
{
    if (l3 == AF_INET6) {
        const uint8_t *a = (const uint8_t *)nfct_get_attr(ct, (enum nf_conntrack_attr)v6attr);
        uint64_t h = 0, l = 0;
        if (a) { memcpy(&h, a, 8); memcpy(&l, a + 8, 8); }
        *hi = be64toh(h);
        *lo = be64toh(l);
    } else {
        *hi = 0;
        *lo = ntohl(nfct_get_attr_u32(ct, (enum nf_conntrack_attr)v4attr));
    }
}

/* Fills `out` from a parsed entry. */
static inline void ctw_flow_fill(const struct nf_conntrack *ct, struct ctw_flow *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t l3 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
    out->l3proto = l3;
    out->l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
    ctw_copy_addr(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, l3, &out->orig_src_hi, &out->orig_src_lo);
    ctw_copy_addr(ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, l3, &out->orig_dst_hi, &out->orig_dst_lo);
    ctw_copy_addr(ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, l3, &out->repl_src_hi, &out->repl_src_lo);
    ctw_copy_addr(ct, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, l3, &out->repl_dst_hi, &out->repl_dst_lo);
    if (nfct_attr_is_set(ct, ATTR_ORIG_PORT_SRC) > 0) {
        out->present |= CTW_HAS_PORTS;
        out->orig_sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
        out->orig_dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
    }
    if (nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC) > 0) {
        out->present |= CTW_HAS_REPLY_PORTS;
        out->repl_sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
        out->repl_dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
    }
    if (nfct_attr_is_set(ct, ATTR_ICMP_TYPE) > 0) {
        out->present |= CTW_HAS_ICMP;
        out->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
        out->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
        out->icmp_id = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
    }
    if (nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
        out->present |= CTW_HAS_TCP_STATE;
        out->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
    }
    if (nfct_attr_is_set(ct, ATTR_STATUS) > 0) {
        out->present |= CTW_HAS_STATUS;
        out->status = nfct_get_attr_u32(ct, ATTR_STATUS);
    }
    if (nfct_attr_is_set(ct, ATTR_TIMEOUT) > 0) {
        out->present |= CTW_HAS_TIMEOUT;
        out->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
    }
    if (nfct_attr_is_set(ct, ATTR_MARK) > 0) {
        out->present |= CTW_HAS_MARK;
        out->mark = nfct_get_attr_u32(ct, ATTR_MARK);
    }
    if (nfct_attr_is_set(ct, ATTR_ZONE) > 0) {
        out->present |= CTW_HAS_ZONE;
        out->zone = nfct_get_attr_u16(ct, ATTR_ZONE);
    }
    if (nfct_attr_is_set(ct, ATTR_ID) > 0) {
        out->present |= CTW_HAS_ID;
        out->id = nfct_get_attr_u32(ct, ATTR_ID);
    }
    if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0) {
        out->present |= CTW_HAS_TS_START;
        out->ts_start = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);
    }
    if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_STOP) > 0) {
        out->present |= CTW_HAS_TS_STOP;
        out->ts_stop = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_STOP);
    }
    if (nfct_attr_is_set(ct, ATTR_ORIG_COUNTER_PACKETS) > 0) {
        out->present |= CTW_HAS_COUNTERS;
        out->orig_packets = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
        out->orig_bytes = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES);
        out->repl_packets = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
        out->repl_bytes = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
    }
}

/* One nesting level of attributes, indexed by type; an attribute whose
 * payload does not fit its expected type is left out, as libmnl's
 * mnl_attr_validate would reject it. */
struct ctw_nest {
    /* CTA_MAX is the largest of the three levels read (CTA_*, CTA_TUPLE_*, CTA_PROTO_*). */
    const struct nlattr *attr[CTA_MAX + 1];
};

static inline int ctw_nest_collect(const struct nlattr *attr, void *data)
{
    struct ctw_nest *nest = (struct ctw_nest *)data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type > CTA_MAX) return MNL_CB_OK;
    nest->attr[type] = attr;
    return MNL_CB_OK;
}

/* attr of the given type when present and valid, else NULL. */
static inline const struct nlattr *ctw_nest_get(const struct ctw_nest *nest, uint16_t type, enum mnl_attr_data_type kind)
{
    const struct nlattr *attr = nest->attr[type];
    if (attr == NULL || mnl_attr_validate(attr, kind) < 0) return NULL;
    return attr;
}

/*
 * Reads the ICMP or ICMPv6 type, code and id of the reply tuple
 * (CTA_TUPLE_REPLY > CTA_TUPLE_PROTO > CTA_PROTO_ICMP[V6]_*) straight from the
 * message, into out->repl_icmp_* with CTW_HAS_REPLY_ICMP, when all three are there.
 */
static inline void ctw_reply_icmp_fill(const struct nlmsghdr *nlh, struct ctw_flow *out)
{
    struct ctw_nest top, tuple, proto;
    memset(&top, 0, sizeof(top));
    memset(&tuple, 0, sizeof(tuple));
    memset(&proto, 0, sizeof(proto));
    if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ctw_nest_collect, &top) < 0) return;
    const struct nlattr *reply = ctw_nest_get(&top, CTA_TUPLE_REPLY, MNL_TYPE_NESTED);
    if (reply == NULL || mnl_attr_parse_nested(reply, ctw_nest_collect, &tuple) < 0) return;
    const struct nlattr *l4 = ctw_nest_get(&tuple, CTA_TUPLE_PROTO, MNL_TYPE_NESTED);
    if (l4 == NULL || mnl_attr_parse_nested(l4, ctw_nest_collect, &proto) < 0) return;
    const struct nlattr *number = ctw_nest_get(&proto, CTA_PROTO_NUM, MNL_TYPE_U8);
    if (number == NULL) return;
    uint16_t type_attr, code_attr, id_attr;
    switch (mnl_attr_get_u8(number)) {
    case IPPROTO_ICMP:
        type_attr = CTA_PROTO_ICMP_TYPE; code_attr = CTA_PROTO_ICMP_CODE; id_attr = CTA_PROTO_ICMP_ID;
        break;
    case IPPROTO_ICMPV6:
        type_attr = CTA_PROTO_ICMPV6_TYPE; code_attr = CTA_PROTO_ICMPV6_CODE; id_attr = CTA_PROTO_ICMPV6_ID;
        break;
    default:
        return;
    }
    const struct nlattr *type = ctw_nest_get(&proto, type_attr, MNL_TYPE_U8);
    const struct nlattr *code = ctw_nest_get(&proto, code_attr, MNL_TYPE_U8);
    const struct nlattr *id = ctw_nest_get(&proto, id_attr, MNL_TYPE_U16);
    if (type == NULL || code == NULL || id == NULL) return;
    out->present |= CTW_HAS_REPLY_ICMP;
    out->repl_icmp_type = mnl_attr_get_u8(type);
    out->repl_icmp_code = mnl_attr_get_u8(code);
    out->repl_icmp_id = ntohs(mnl_attr_get_u16(id));
}

/*
 * Walks the netlink messages in buf[0..len) and parses each conntrack entry
 * into ct, then into flows[n]. Stops after `max` flows and returns the byte
 * offset it reached in *consumed.
 * Returns the number of flows written; *done is set on NLMSG_DONE, *error to
 * the (positive) errno of an NLMSG_ERROR message other than an ACK, and
 * *interrupted to 1 when a message carries NLM_F_DUMP_INTR (left alone
 * otherwise, so it accumulates over the chunks of one dump). Messages whose
 * seq or port id is not (seq, portid) are skipped.
 */
static inline int ctw_parse_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid,
                                     struct nf_conntrack *ct, struct ctw_flow *flows, uint8_t *kinds, int max,
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
            if (kind != CTW_EVENT_NONE) {
                memset(ct, 0, nfct_sizeof(ct));
                if (nfct_nlmsg_parse(nlh, ct) >= 0) {
                    ctw_flow_fill(ct, &flows[n]);
                    /* A second walk of the message, paid by ICMP entries only. */
                    if (flows[n].l4proto == IPPROTO_ICMP || flows[n].l4proto == IPPROTO_ICMPV6)
                        ctw_reply_icmp_fill(nlh, &flows[n]);
                    kinds[n] = kind;
                    n++;
                }
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

#endif
