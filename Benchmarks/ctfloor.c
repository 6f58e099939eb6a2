/*
 * ctfloor - the floor consumer for the ctwatch benchmarks: the least work
 * that still receives and parses every conntrack message, writing nothing
 * per message.
 *
 *   ctfloor events [--buffer BYTES] [--expect N] [--idle-ms MS]
 *       Subscribes to the NEW, UPDATE and DESTROY groups, sets SO_RCVBUFFORCE
 *       (default 64 MiB), receives and nfct_nlmsg_parse()s every event.
 *       Prints "ready" to stderr once subscribed. Stops after N events, on
 *       SIGINT/SIGTERM, or after MS ms without events (once one arrived).
 *       Prints "new=N update=N destroy=N enobufs=N" to stdout.
 *
 *   ctfloor dump [--dnat-unreplied | --dnat]
 *       Dumps the AF_INET table and nfct_nlmsg_parse()s each entry; prints
 *       "entries=N bytes=B" (B: netlink message bytes of the entries).
 *       With --dnat-unreplied the kernel filters on
 *       status & (DST_NAT|SEEN_REPLY) == DST_NAT (CTA_STATUS/CTA_STATUS_MASK):
 *       the DNAT'ed entries that saw no reply.
 *       With --dnat the kernel filters on status & DST_NAT == DST_NAT: every
 *       DNAT'ed entry, whatever its reply state (what a scan for stale
 *       backends needs).
 *
 * Run it inside the namespace under test (ip netns exec NS ctfloor ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

static const char *prog = "ctfloor";
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s events [--buffer BYTES] [--expect N] [--idle-ms MS]\n"
		"       %s dump [--dnat-unreplied | --dnat]\n",
		prog, prog);
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

static struct mnl_socket *open_sock(unsigned groups)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		fprintf(stderr, "%s: netlink socket: %s\n", prog, strerror(errno));
		exit(2);
	}
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: netlink bind: %s\n", prog, strerror(errno));
		exit(2);
	}
	return nl;
}

/* ---- events -------------------------------------------------------------- */

static int cmd_events(int argc, char **argv)
{
	uint64_t bufsize = 64ull << 20, expect = 0, idle_ms = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t *dst = !strcmp(a, "--buffer")	  ? &bufsize
				: !strcmp(a, "--expect")  ? &expect
				: !strcmp(a, "--idle-ms") ? &idle_ms
							  : NULL;
		if (!dst) {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			usage(stderr);
			return 2;
		}
		if (!v || parse_u64(v, dst) < 0) {
			fprintf(stderr, "%s: %s needs a non-negative integer\n", prog, a);
			return 2;
		}
		i++;
	}
	if (bufsize > 0x7fffffff) {
		fprintf(stderr, "%s: --buffer too large\n", prog);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recv() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct mnl_socket *nl = open_sock(NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
					  NF_NETLINK_CONNTRACK_DESTROY);
	int fd = mnl_socket_get_fd(nl);
	int sz = (int)bufsize;
	if (bufsize && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0) {
		fprintf(stderr, "%s: SO_RCVBUFFORCE %d: %s (falling back to SO_RCVBUF)\n", prog, sz,
			strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (idle_ms) {
		struct timeval tv = {.tv_sec = idle_ms / 1000, .tv_usec = (idle_ms % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}

	struct nf_conntrack *ct = nfct_new();
	if (!ct) {
		fprintf(stderr, "%s: nfct_new: %s\n", prog, strerror(errno));
		return 2;
	}
	static char buf[1 << 16];
	uint64_t n_new = 0, n_update = 0, n_destroy = 0, n_other = 0, n_enobufs = 0, n_bad = 0;

	fprintf(stderr, "ready\n");
	fflush(stderr);

	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				n_enobufs++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (n_new + n_update + n_destroy + n_other > 0)
					break; /* idle after at least one event */
				continue;
			}
			fprintf(stderr, "%s: recv: %s\n", prog, strerror(errno));
			break;
		}
		int len = (int)n;
		for (const struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK) {
				n_other++;
				continue;
			}
			if (nfct_nlmsg_parse(nlh, ct) < 0)
				n_bad++;
			switch (nlh->nlmsg_type & 0xff) {
			case IPCTNL_MSG_CT_NEW:
				if (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL))
					n_new++;
				else
					n_update++;
				break;
			case IPCTNL_MSG_CT_DELETE:
				n_destroy++;
				break;
			default:
				n_other++;
			}
		}
		if (expect && n_new + n_update + n_destroy >= expect)
			break;
	}
	printf("new=%" PRIu64 " update=%" PRIu64 " destroy=%" PRIu64 " enobufs=%" PRIu64 "\n", n_new,
	       n_update, n_destroy, n_enobufs);
	fflush(stdout);
	if (n_bad || n_other)
		fprintf(stderr, "%s: %" PRIu64 " messages failed to parse, %" PRIu64 " other messages\n",
			prog, n_bad, n_other);
	nfct_destroy(ct);
	mnl_socket_close(nl);
	return 0;
}

/* ---- dump ---------------------------------------------------------------- */

struct dump_state {
	struct nf_conntrack *ct;
	uint64_t entries;
	uint64_t bytes; /* netlink message bytes of the entries */
	uint64_t bad;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *st = data;
	if (nfct_nlmsg_parse(nlh, st->ct) < 0)
		st->bad++;
	st->entries++;
	st->bytes += nlh->nlmsg_len;
	return MNL_CB_OK;
}

static int cmd_dump(int argc, char **argv)
{
	/* the status bits the kernel compares, and the value they must have;
	 * a zero mask dumps everything */
	uint32_t status_mask = 0, status_value = 0;
	for (int i = 0; i < argc; i++) {
		uint32_t mask, value;
		if (!strcmp(argv[i], "--dnat-unreplied")) {
			mask = IPS_DST_NAT | IPS_SEEN_REPLY;
			value = IPS_DST_NAT;
		} else if (!strcmp(argv[i], "--dnat")) {
			mask = IPS_DST_NAT;
			value = IPS_DST_NAT;
		} else {
			fprintf(stderr, "%s: unknown option %s\n", prog, argv[i]);
			usage(stderr);
			return 2;
		}
		if (status_mask) {
			fprintf(stderr, "%s: give one of --dnat-unreplied and --dnat\n", prog);
			return 2;
		}
		status_mask = mask;
		status_value = value;
	}
	struct mnl_socket *nl = open_sock(0);
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = AF_INET;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;

	if (status_mask) {
		struct nfct_filter_dump *fd = nfct_filter_dump_create();
		if (!fd) {
			fprintf(stderr, "%s: nfct_filter_dump_create: %s\n", prog, strerror(errno));
			return 2;
		}
		struct nfct_filter_dump_mark status = {
			.val = status_value,
			.mask = status_mask,
		};
		nfct_filter_dump_set_attr(fd, NFCT_FILTER_DUMP_STATUS, &status);
		/* CTA_STATUS filtered dumps are refused for AF_UNSPEC */
		nfct_filter_dump_set_attr_u8(fd, NFCT_FILTER_DUMP_L3NUM, AF_INET);
		if (nfct_nlmsg_build_filter(nlh, fd) < 0) {
			fprintf(stderr, "%s: nfct_nlmsg_build_filter failed\n", prog);
			return 2;
		}
		nfct_filter_dump_destroy(fd);
	}

	struct dump_state st = {.ct = nfct_new()};
	if (!st.ct) {
		fprintf(stderr, "%s: nfct_new: %s\n", prog, strerror(errno));
		return 2;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "%s: dump request: %s\n", prog, strerror(errno));
		return 2;
	}
	/* >= 32 KiB lets the kernel fill 32 KiB dump skbs */
	static char buf[1 << 16];
	uint32_t portid = mnl_socket_get_portid(nl);
	int ret;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: dump recv: %s\n", prog, strerror(errno));
			return 1;
		}
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, dump_cb, &st);
		if (ret == MNL_CB_STOP)
			break;
		if (ret < 0) {
			fprintf(stderr, "%s: dump: %s\n", prog, strerror(errno));
			return 1;
		}
	}
	printf("entries=%" PRIu64 " bytes=%" PRIu64 "\n", st.entries, st.bytes);
	fflush(stdout);
	if (st.bad)
		fprintf(stderr, "%s: %" PRIu64 " entries failed to parse\n", prog, st.bad);
	nfct_destroy(st.ct);
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "events"))
		return cmd_events(argc - 2, argv + 2);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command %s\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
