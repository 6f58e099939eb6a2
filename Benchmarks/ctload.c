/*
 * ctload - conntrack load generator for the ctwatch benchmarks.
 *
 * Run it inside a throw-away network namespace (ip netns exec NS ctload ...):
 * it only ever touches the conntrack table of the namespace it runs in.
 *
 *   ctload insert N [--dnat-fraction F] [--unreplied-fraction U]
 *                   [--backends K] [--batch B] [--family ipv4]
 *                   [--proto tcp|udp] [--timeout S] [--offset K]
 *       Inserts N conntrack entries over ctnetlink
 *       (IPCTNL_MSG_CT_NEW, NLM_F_CREATE|NLM_F_EXCL), B messages per sendmsg.
 *       Only the last message of every batch asks for an ACK; failures come
 *       back as NLMSG_ERROR anyway and are counted per errno.
 *       A fraction F of the entries is DNAT'ed by the kernel itself:
 *         orig  10.224.1.C:sport -> 10.233.X.Y:80      (service address)
 *         reply sent as the plain inverse, plus CTA_NAT_DST = 10.224.1.B:8080,
 *         so the kernel rewrites the reply tuple and sets IPS_DST_NAT.
 *       The other entries are plain: 10.98.X.Y:sport -> 10.99.Z.1:443.
 *       Clients 10.224.1.1-199, backends 10.224.1.200 .. 200+K-1 (K from
 *       --backends, 1..50, default 50); every (client, sport) pair is used
 *       once, so all tuples are unique.
 *       A fraction U of the DNAT'ed entries (default 1: all of them) is left
 *       unreplied (tcp: SYN_SENT); the others are sent with CTA_STATUS
 *       SEEN_REPLY|ASSURED (tcp: ESTABLISHED), as a flow that got its
 *       answers. Plain entries are always unreplied. With --dnat-fraction 1
 *       --unreplied-fraction 0.1 the table looks like a Kubernetes node's:
 *       every entry a Service call to a pod on the bridge, a tenth unanswered.
 *
 *   ctload flush
 *       Flushes the namespace's conntrack table (DESTROY events for every
 *       entry that carries the event extension).
 *
 *   ctload count
 *       Prints nf_conntrack_count of the namespace.
 *
 * insert and flush refuse to run in the initial (root) network namespace
 * unless --allow-init-netns is given.
 *
 * Prints what it did (count, seconds, rate) to stderr; exit status 0 only
 * when every operation succeeded.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#define MAX_ERRNO 256

static const char *prog = "ctload";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s insert N [--dnat-fraction F] [--unreplied-fraction U]\n"
		"                  [--backends K] [--batch B] [--family ipv4]\n"
		"                  [--proto tcp|udp] [--timeout S] [--offset K]\n"
		"       %s flush\n"
		"       %s count\n"
		"insert and flush refuse to run in the initial network namespace unless\n"
		"--allow-init-netns is given.\n"
		"Run inside a network namespace: ip netns exec NS %s ...\n",
		prog, prog, prog, prog);
}

static struct mnl_socket *open_sock(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		fprintf(stderr, "%s: netlink socket: %s\n", prog, strerror(errno));
		exit(2);
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: netlink bind: %s\n", prog, strerror(errno));
		exit(2);
	}
	/* room for error replies of a whole batch; FORCE needs CAP_NET_ADMIN */
	int sz = 8 << 20;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	sz = 8 << 20;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return nl;
}

static long read_count(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Refuses to touch the initial network namespace: the load belongs in a
 * throw-away namespace. init_net's nsfs inode is the fixed PROC_NET_INIT_INO
 * (0xEFFFFFF9); PID 1's namespace is compared too when /proc/1 is readable.
 * Returns 1 (initial or undeterminable) or 0.
 */
#define PROC_NET_INIT_INO 0xEFFFFFF9u
static int in_init_netns(void)
{
	struct stat self, init;
	if (stat("/proc/self/ns/net", &self) < 0)
		return 1;
	if (self.st_ino == PROC_NET_INIT_INO)
		return 1;
	if (stat("/proc/1/ns/net", &init) == 0 && self.st_dev == init.st_dev &&
	    self.st_ino == init.st_ino)
		return 1;
	return 0;
}

static int guard_netns(int allow)
{
	if (allow || !in_init_netns())
		return 0;
	fprintf(stderr,
		"%s: refusing to change the conntrack table of the initial network namespace\n"
		"%s: (or one that cannot be told apart from it);\n"
		"%s: run inside a namespace (ip netns exec NS %s ...) or pass --allow-init-netns\n",
		prog, prog, prog, prog);
	return -1;
}

/* ---- ACK / error collection -------------------------------------------- */

struct errstat {
	uint64_t total;
	uint64_t by_errno[MAX_ERRNO];
	int first_errno;
	uint32_t first_seq;
};

/*
 * Reads replies until the ACK for `want_seq` arrives. Every NLMSG_ERROR with
 * a non-zero code is a failed message of ours and is counted.
 * Returns 0, or -1 on a socket error.
 */
static int collect_acks(struct mnl_socket *nl, uint32_t want_seq, struct errstat *es)
{
	static char buf[1 << 16];
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: receiving ACKs: %s\n", prog, strerror(errno));
			return -1;
		}
		int len = (int)n;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error != 0) {
				int en = -e->error;
				es->total++;
				if (en > 0 && en < MAX_ERRNO)
					es->by_errno[en]++;
				if (!es->first_errno) {
					es->first_errno = en;
					es->first_seq = nlh->nlmsg_seq;
				}
			}
			if (nlh->nlmsg_seq == want_seq)
				return 0;
		}
	}
}

static void report_errors(const struct errstat *es)
{
	if (!es->total)
		return;
	fprintf(stderr, "%s: %" PRIu64 " messages failed (first: seq %u: %s)\n", prog, es->total,
		es->first_seq, strerror(es->first_errno));
	for (int i = 1; i < MAX_ERRNO; i++)
		if (es->by_errno[i])
			fprintf(stderr, "%s:   %" PRIu64 " x %s (errno %d)%s\n", prog, es->by_errno[i],
				strerror(i), i,
				i == EEXIST   ? " - tuple already in the table (use --offset or flush)"
				: i == ENOMEM ? " - table full? (nf_conntrack_max)"
				: i == EOPNOTSUPP ? " - NAT not available in this kernel"
						  : "");
}

/* ---- insert -------------------------------------------------------------- */

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl((a << 24) | (b << 16) | (c << 8) | d);
}

#define N_CLIENTS 199u /* 10.224.1.1 .. 10.224.1.199 */
#define MAX_BACKENDS 50u /* 10.224.1.200 .. 10.224.1.249 */
#define N_PORTS 64000u /* source ports 1024 .. 65023 */

/* Fills ct with the tuples of DNAT'ed entry number d, sent to one of
 * n_backends backends. */
static void fill_dnat(struct nf_conntrack *ct, uint64_t d, unsigned n_backends)
{
	uint32_t client = ip4(10, 224, 1, 1 + (unsigned)(d % N_CLIENTS));
	uint16_t sport = htons(1024 + (uint16_t)((d / N_CLIENTS) % N_PORTS));
	unsigned s = (unsigned)(d % 4096);
	uint32_t service = ip4(10, 233, s >> 8, s & 255);
	uint16_t dport = htons(80);
	/* a multiplicative hash, not d itself: the unreplied entries are every
	 * k-th one, and d % n_backends would send them all to a few backends */
	uint64_t spread = (d * 0x9E3779B97F4A7C15ull) >> 32;
	uint32_t backend = ip4(10, 224, 1, 200 + (unsigned)(spread % n_backends));
	uint16_t bport = htons(8080);

	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, client);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, service);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, sport);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, dport);
	/* plain inverse; the kernel rewrites it from the DNAT below */
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, service);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, client);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, dport);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, sport);
	nfct_set_attr_u32(ct, ATTR_DNAT_IPV4, backend);
	nfct_set_attr_u16(ct, ATTR_DNAT_PORT, bport);
}

/* Sets the state of a DNAT'ed entry: answered (SEEN_REPLY|ASSURED, tcp
 * ESTABLISHED) or not (no CTA_STATUS, tcp SYN_SENT). The kernel lets
 * ctnetlink set these two bits on a new entry, never clear them. */
static void set_replied(struct nf_conntrack *ct, int proto, int replied)
{
	if (replied)
		nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SEEN_REPLY | IPS_ASSURED);
	else
		nfct_attr_unset(ct, ATTR_STATUS);
	if (proto == IPPROTO_TCP)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE,
				 replied ? TCP_CONNTRACK_ESTABLISHED : TCP_CONNTRACK_SYN_SENT);
}

/* Fills ct with the tuples of plain entry number p. */
static void fill_plain(struct nf_conntrack *ct, uint64_t p)
{
	unsigned a = (unsigned)(p % 65536);
	uint32_t src = ip4(10, 98, a >> 8, a & 255);
	uint16_t sport = htons(1024 + (uint16_t)((p / 65536) % N_PORTS));
	uint32_t dst = ip4(10, 99, (unsigned)(p % 251), 1);
	uint16_t dport = htons(443);

	nfct_attr_unset(ct, ATTR_DNAT_IPV4);
	nfct_attr_unset(ct, ATTR_DNAT_PORT);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, src);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, dst);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, sport);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, dport);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, dst);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, src);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, dport);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, sport);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int cmd_insert(int argc, char **argv)
{
	uint64_t n = 0, batch = 256, timeout = 600, offset = 0, n_backends = MAX_BACKENDS;
	double frac = 0.0, unreplied_frac = 1.0;
	int proto = IPPROTO_TCP, allow_init = 0;

	if (argc < 1 || parse_u64(argv[0], &n) < 0) {
		fprintf(stderr, "%s: insert needs a count N\n", prog);
		usage(stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--allow-init-netns")) {
			allow_init = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s: option %s needs a value\n", prog, a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--dnat-fraction")) {
			char *end;
			frac = strtod(v, &end);
			if (*end || end == v || frac < 0 || frac > 1) {
				fprintf(stderr, "%s: --dnat-fraction must be in [0,1]\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--unreplied-fraction")) {
			char *end;
			unreplied_frac = strtod(v, &end);
			if (*end || end == v || unreplied_frac < 0 || unreplied_frac > 1) {
				fprintf(stderr, "%s: --unreplied-fraction must be in [0,1]\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--backends")) {
			if (parse_u64(v, &n_backends) < 0 || n_backends < 1 ||
			    n_backends > MAX_BACKENDS) {
				fprintf(stderr, "%s: --backends must be 1..%u\n", prog, MAX_BACKENDS);
				return 2;
			}
		} else if (!strcmp(a, "--batch")) {
			if (parse_u64(v, &batch) < 0 || batch < 1 || batch > 4096) {
				fprintf(stderr, "%s: --batch must be 1..4096\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--family")) {
			if (strcmp(v, "ipv4") && strcmp(v, "inet")) {
				fprintf(stderr, "%s: only --family ipv4 is supported\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--proto")) {
			if (!strcmp(v, "tcp"))
				proto = IPPROTO_TCP;
			else if (!strcmp(v, "udp"))
				proto = IPPROTO_UDP;
			else {
				fprintf(stderr, "%s: --proto must be tcp or udp\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--timeout")) {
			if (parse_u64(v, &timeout) < 0 || timeout < 1 || timeout > 0x7fffffff) {
				fprintf(stderr, "%s: bad --timeout\n", prog);
				return 2;
			}
		} else if (!strcmp(a, "--offset")) {
			if (parse_u64(v, &offset) < 0) {
				fprintf(stderr, "%s: bad --offset\n", prog);
				return 2;
			}
		} else {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			usage(stderr);
			return 2;
		}
	}
	if (guard_netns(allow_init) < 0)
		return 2;
	uint64_t max_unique = (uint64_t)N_CLIENTS * N_PORTS;
	if (n + offset > max_unique) {
		fprintf(stderr, "%s: at most %" PRIu64 " unique entries\n", prog, max_unique);
		return 2;
	}

	struct mnl_socket *nl = open_sock();
	struct nf_conntrack *ct = nfct_new();
	if (!ct) {
		fprintf(stderr, "%s: nfct_new: %s\n", prog, strerror(errno));
		return 2;
	}
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, (uint32_t)timeout);
	if (proto == IPPROTO_TCP)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_SYN_SENT);

	/* one message is ~200 bytes; keep generous room per message */
	size_t bufsz = batch * 512;
	char *buf = malloc(bufsz);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}

	long before = read_count();
	struct errstat es = {0};
	uint32_t seq = (uint32_t)time(NULL);
	uint64_t done = 0, n_dnat = 0, n_replied = 0;
	/* entry i is DNAT'ed when floor((i+1)*F) > floor(i*F): exact fraction,
	 * evenly spread; --offset keeps the index space consistent */
	double t0 = now_s();
	while (done < n) {
		size_t off = 0;
		uint64_t in_batch = 0;
		while (done + in_batch < n && in_batch < batch) {
			uint64_t i = offset + done + in_batch;
			uint64_t d_before = (uint64_t)((double)i * frac);
			uint64_t d_after = (uint64_t)((double)(i + 1) * frac);
			if (d_after > d_before) {
				uint64_t d = d_before;
				/* the same spread as above, among the DNAT'ed entries */
				int unreplied = (uint64_t)((double)(d + 1) * unreplied_frac) >
						(uint64_t)((double)d * unreplied_frac);
				fill_dnat(ct, d, (unsigned)n_backends);
				set_replied(ct, proto, !unreplied);
				n_dnat++;
				n_replied += !unreplied;
			} else {
				fill_plain(ct, i - d_before);
				set_replied(ct, proto, 0);
			}
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
			nlh->nlmsg_seq = ++seq;
			struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
			nfh->nfgen_family = AF_INET;
			nfh->version = NFNETLINK_V0;
			nfh->res_id = 0;
			if (nfct_nlmsg_build(nlh, ct) < 0) {
				fprintf(stderr, "%s: nfct_nlmsg_build failed for entry %" PRIu64 "\n",
					prog, i);
				return 2;
			}
			in_batch++;
			off += nlh->nlmsg_len;
			if (off + 512 > bufsz)
				break;
		}
		/* one ACK per batch, on its last message: when it arrives, every
		 * earlier message of the batch has been processed */
		{
			struct nlmsghdr *last = NULL;
			int len = (int)off;
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
			     h = mnl_nlmsg_next(h, &len))
				last = h;
			last->nlmsg_flags |= NLM_F_ACK;
		}
		ssize_t sent;
		do
			sent = mnl_socket_sendto(nl, buf, off);
		while (sent < 0 && errno == EINTR);
		if (sent < 0) {
			fprintf(stderr, "%s: sendmsg of %" PRIu64 " messages: %s\n", prog, in_batch,
				strerror(errno));
			return 2;
		}
		if (collect_acks(nl, seq, &es) < 0)
			return 2;
		done += in_batch;
	}
	double dt = now_s() - t0;
	long after = read_count();

	uint64_t ok = n - es.total;
	fprintf(stderr,
		"%s: insert %" PRIu64 " %s entries (%" PRIu64 " DNAT'ed, %" PRIu64
		" of them with replies) in %.3f s = %.0f/s, "
		"batch %" PRIu64 ", timeout %" PRIu64 " s; ok %" PRIu64 ", failed %" PRIu64
		"; table %ld -> %ld\n",
		prog, n, proto == IPPROTO_TCP ? "tcp" : "udp", n_dnat, n_replied, dt,
		dt > 0 ? n / dt : 0.0, batch, timeout, ok, es.total, before, after);
	report_errors(&es);
	if (before >= 0 && after >= 0 && (uint64_t)(after - before) < ok)
		fprintf(stderr,
			"%s: warning: %" PRIu64 " inserts succeeded but the table grew by only %ld:"
			" entries were evicted (early_drop at nf_conntrack_max?) or expired\n",
			prog, ok, after - before);
	nfct_destroy(ct);
	free(buf);
	mnl_socket_close(nl);
	return es.total ? 1 : 0;
}

/* ---- flush --------------------------------------------------------------- */

static int cmd_flush(int argc, char **argv)
{
	int allow_init = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--allow-init-netns"))
			allow_init = 1;
		else {
			fprintf(stderr, "%s: unknown option %s\n", prog, argv[i]);
			return 2;
		}
	}
	if (guard_netns(allow_init) < 0)
		return 2;
	struct mnl_socket *nl = open_sock();
	char buf[MNL_SOCKET_BUFFER_SIZE];
	long before = read_count();

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = AF_UNSPEC; /* every family of this namespace */
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;

	double t0 = now_s();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "%s: flush: sendmsg: %s\n", prog, strerror(errno));
		return 2;
	}
	struct errstat es = {0};
	if (collect_acks(nl, nlh->nlmsg_seq, &es) < 0)
		return 2;
	double dt = now_s() - t0;
	long after = read_count();
	if (es.total) {
		fprintf(stderr, "%s: flush failed: %s\n", prog, strerror(es.first_errno));
		return 1;
	}
	long gone = before >= 0 && after >= 0 ? before - after : -1;
	fprintf(stderr, "%s: flush removed %ld entries in %.3f s = %.0f/s; table %ld -> %ld\n", prog,
		gone, dt, dt > 0 && gone > 0 ? gone / dt : 0.0, before, after);
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "insert"))
		return cmd_insert(argc - 2, argv + 2);
	if (!strcmp(argv[1], "flush"))
		return cmd_flush(argc - 2, argv + 2);
	if (!strcmp(argv[1], "count")) {
		long c = read_count();
		if (c < 0) {
			fprintf(stderr, "%s: cannot read nf_conntrack_count: %s\n", prog, strerror(errno));
			return 2;
		}
		printf("%ld\n", c);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command %s\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
