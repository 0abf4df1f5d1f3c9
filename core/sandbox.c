// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/sandbox.c — the seccomp allow-list of each domain (libseccomp) and the
 * SIGSYS handler that puts a violation in the log before the process dies.
 * The lists were taken from what umbrald does under `make check` (plain and
 * SAN=1), grouped by job; a call missing here kills the daemon with a log
 * line naming it, and the kernel keeps enforcing the last policy meanwhile.
 */
#include "core/sandbox.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NAME_NR_MAX 512 /* x86_64 numbers its calls below 500 */
#define NAME_LEN 24

/* The tables are grouped by job, several names a line. */
/* clang-format off */
/* Calls every domain makes, with any arguments. */
static const char *const sys_common[] = {
	/* files: the policy database (SQLite, WAL), the audit log, the log */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "openat",
	"fstat", "newfstatat", "statx", "fchmod", "fcntl", "flock", "fsync", "fdatasync",
	"ftruncate", "fallocate", "getdents64", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "link", "linkat", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getcwd",
	/* memory: malloc, SQLite's shared-memory index, libsodium's guarded pages */
	"munmap", "mremap", "brk", "madvise", "mlock", "munlock", "getrandom", "futex",
	/* sockets (families below): netlink, the control socket, syslog, DHCP */
	"bind", "listen", "accept4", "connect", "sendto", "recvfrom", "sendmsg", "recvmsg",
	"getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown",
	/* the event loop (libev) */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll", "eventfd2",
	"signalfd4", "timerfd_create", "timerfd_settime", "pipe2",
	/* signals, time, identity, exit */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
	/* sysinfo: glibc's qsort of a large array; prlimit64: sysconf(_SC_OPEN_MAX) */
	"uname", "sysinfo", "prlimit64", "exit", "exit_group",
};

/* crypto: wireguard-go's UAPI socket, its liveness and its sockets' buffers (wg/wggo*.c). */
static const char *const sys_crypto[] = {
	"chmod", "fchmodat", "wait4", "pidfd_open", "pidfd_getfd",
	/* glibc's fork, in the keystore's Argon2id child (wg/keystore.c) */
	"set_robust_list",
};

#if defined(__SANITIZE_ADDRESS__)
/*
 * SAN=1 only: what the ASan/UBSan/LSan runtimes do on their own. At exit
 * LSan stops the world: a clone of the process (prctl, getppid) ptraces its
 * threads, found by getdents on /proc/self/task, and is waited for.
 */
static const char *const sys_san[] = {
	"clone", "ptrace", "prctl", "wait4", "getppid", "getdents", "sched_yield", "open",
	"prlimit64", "getrlimit", "sched_getaffinity", "process_vm_readv", "stat", "lstat",
};
#endif

/* A call allowed only when (argument arg & mask) == val; several rules for one call OR. */
struct arg_rule {
	const char *name;
	unsigned arg;
	uint64_t mask, val;
};

#define INT_ARG 0xffffffffULL /* the kernel reads these as 32-bit ints */
#define WX ((uint64_t)(PROT_WRITE | PROT_EXEC))
#define NS_BITS                                                                                    \
	((uint64_t)(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC |     \
		    CLONE_NEWUTS | CLONE_NEWCGROUP))

static const struct arg_rule args_common[] = {
	{"socket", 0, INT_ARG, AF_UNIX},
	{"socket", 0, INT_ARG, AF_INET},
	{"socket", 0, INT_ARG, AF_INET6},
	{"socket", 0, INT_ARG, AF_NETLINK},
	/* if_nametoindex/if_indextoname, isatty */
	{"ioctl", 1, INT_ARG, SIOCGIFINDEX},
	{"ioctl", 1, INT_ARG, SIOCGIFNAME},
	{"ioctl", 1, INT_ARG, TCGETS},
	{"ioctl", 1, INT_ARG, FIONREAD},
	/* never writable and executable at once */
	{"mmap", 2, WX, 0},
	{"mmap", 2, WX, PROT_WRITE},
	{"mmap", 2, WX, PROT_EXEC},
	{"mprotect", 2, WX, 0},
	{"mprotect", 2, WX, PROT_WRITE},
	{"mprotect", 2, WX, PROT_EXEC},
	{NULL, 0, 0, 0},
};

static const struct arg_rule args_red[] = {
	{"socket", 0, INT_ARG, AF_PACKET}, /* ARP probes before an offer */
	{"ioctl", 1, INT_ARG, SIOCGIFHWADDR},
	/* GRO on to-crypto (policy/offload.c): nothing CAP_NET_ADMIN's netlink could not do */
	{"ioctl", 1, INT_ARG, SIOCETHTOOL},
	{NULL, 0, 0, 0},
};

static const struct arg_rule args_crypto[] = {
	{"ioctl", 1, INT_ARG, TUNSETIFF},
	/* TSO on to-red (policy/offload.c) */
	{"ioctl", 1, INT_ARG, SIOCETHTOOL},
	/* The keystore's Argon2id runs in a child (wg/keystore.c): a plain fork, no thread. */
	{"clone", 0, CLONE_VM | CLONE_THREAD | NS_BITS, 0},
	/* wireguard-go: is it alive, stop one that did not come up */
	{"kill", 1, INT_ARG, 0},
	{"kill", 1, INT_ARG, SIGTERM},
	{NULL, 0, 0, 0},
};

/* The launcher's deny-list: calls that neither it nor the Go runtime makes. */
static const char *const sys_launcher_deny[] = {
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "ptrace",
	"process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl",
	"add_key", "request_key", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
	"swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "iopl", "ioperm",
	"settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "sethostname",
	"setdomainname", "fsopen", "fsmount", "move_mount", "open_tree", "personality",
};

/* clang-format on */

/* Names by number, filled before the filter goes in: the SIGSYS handler may not allocate. */
static char sys_names[NAME_NR_MAX][NAME_LEN];
static const char *sandbox_domain = "";

static void
names_fill(void)
{
	for (int nr = 0; nr < NAME_NR_MAX; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (!n)
			continue;
		strncpy(sys_names[nr], n, NAME_LEN - 1);
		free(n);
	}
}

/* Appends s at line[*n] (cap bytes); async-signal-safe. */
static void
put_str(char *line, size_t *n, size_t cap, const char *s)
{
	while (*s && *n < cap)
		line[(*n)++] = *s++;
}

static void
put_num(char *line, size_t *n, size_t cap, long v, int width)
{
	char digits[24];
	int k = 0;

	if (v < 0) {
		put_str(line, n, cap, "-");
		v = -v;
	}
	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k < (int)sizeof(digits));
	while (k < width && k < (int)sizeof(digits))
		digits[k++] = '0';
	while (k > 0 && *n < cap)
		line[(*n)++] = digits[--k];
}

/* The log's UTC timestamp (core/log.c's format) without gmtime: days to a civil date. */
static void
put_time(char *line, size_t *n, size_t cap)
{
	static const char sep[] = "--T::.Z";
	static const int width[] = {4, 2, 2, 2, 2, 2, 3};
	struct timespec ts;
	long days, sec, era, doe, yoe, doy, mp, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	days = ts.tv_sec / 86400 + 719468;
	sec = ts.tv_sec % 86400;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	const long field[] = {yoe + era * 400 + (m <= 2),
			      m,
			      doy - (153 * mp + 2) / 5 + 1,
			      sec / 3600,
			      sec / 60 % 60,
			      sec % 60,
			      ts.tv_nsec / 1000000};
	for (int i = 0; i < 7; i++) {
		char s[2] = {sep[i], '\0'};
		put_num(line, n, cap, field[i], width[i]);
		put_str(line, n, cap, s);
	}
}

/*
 * SECCOMP_RET_TRAP lands here, the call not made. One line with write(2),
 * then the default action (SA_RESETHAND) of the SIGSYS raised again, which
 * stays blocked until this handler returns: the process dies by SIGSYS.
 */
static void
sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = 0, cap = sizeof(line) - 1;
	int nr = si->si_syscall;

	(void)uc;
	put_time(line, &n, cap);
	put_str(line, &n, cap, " umbrald fatal: seccomp: forbidden system call ");
	put_num(line, &n, cap, nr, 1);
	put_str(line, &n, cap, " (");
	put_str(line, &n, cap,
		nr >= 0 && nr < NAME_NR_MAX && sys_names[nr][0] ? sys_names[nr] : "?");
	put_str(line, &n, cap, ") in the ");
	put_str(line, &n, cap, sandbox_domain);
	put_str(line, &n, cap, " domain; killed by SIGSYS\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere else to say it */
	}
	raise(sig);
}

static int
allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, uint32_t action)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int ret;
		if (nr == __NR_SCMP_ERROR)
			return -EINVAL;
		if (nr < 0)
			continue; /* not a call of this architecture */
		if ((ret = seccomp_rule_add(ctx, action, nr, 0)) < 0)
			return ret;
	}
	return 0;
}

static int
allow_args(scmp_filter_ctx ctx, const struct arg_rule *r)
{
	for (; r->name; r++) {
		int nr = seccomp_syscall_resolve_name(r->name);
		int ret;
		if (nr == __NR_SCMP_ERROR)
			return -EINVAL;
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				       SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->val));
		if (ret < 0)
			return ret;
	}
	return 0;
}

#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])

static int
rules_add(scmp_filter_ctx ctx, enum domain d)
{
	int ret;

	if ((ret = allow_names(ctx, NAMES(sys_common), SCMP_ACT_ALLOW)) < 0 ||
	    (ret = allow_args(ctx, args_common)) < 0)
		return ret;
	/* raise() in the SIGSYS handler: a signal to this process only. */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, INT_ARG, (uint64_t)getpid()));
	if (ret == 0 && d == DOMAIN_RED)
		ret = allow_args(ctx, args_red);
	if (ret == 0 && d == DOMAIN_CRYPTO && (ret = allow_args(ctx, args_crypto)) == 0)
		ret = allow_names(ctx, NAMES(sys_crypto), SCMP_ACT_ALLOW);
#if defined(__SANITIZE_ADDRESS__)
	if (ret == 0)
		ret = allow_names(ctx, NAMES(sys_san), SCMP_ACT_ALLOW);
#endif
	return ret;
}

static int
load(scmp_filter_ctx ctx)
{
	/* Another architecture's calls (32-bit, x32) could slip past a list of native numbers. */
	int ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);

	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

int
sandbox_install(enum domain d)
{
	struct sigaction sa = {.sa_sigaction = sigsys_handler,
			       .sa_flags = SA_SIGINFO | SA_RESETHAND};
	scmp_filter_ctx ctx;
	int ret;

	if ((unsigned)d >= DOMAIN_COUNT)
		return -EINVAL;
	sandbox_domain = domain_name(d);
	names_fill();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	if (!(ctx = seccomp_init(SCMP_ACT_TRAP)))
		return -ENOMEM;
	if ((ret = rules_add(ctx, d)) < 0) {
		seccomp_release(ctx);
		return ret;
	}
	return load(ctx);
}

/*
 * unshare and setns are denied above; clone can make namespaces too (a new
 * user namespace would give wireguard-go every capability in it). Each
 * CLONE_NEW* bit kills; clone3, whose flags lie in memory a filter cannot
 * read, answers ENOSYS so that libc and Go fall back to clone.
 */
static int
deny_new_namespaces(scmp_filter_ctx ctx)
{
	static const uint64_t bits[] = {CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWNET,   CLONE_NEWPID,
					CLONE_NEWIPC, CLONE_NEWUTS,  CLONE_NEWCGROUP};
	int ret;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if ((ret = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
					    SCMP_A0(SCMP_CMP_MASKED_EQ, bits[i], bits[i]))) < 0)
			return ret;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int
sandbox_install_launcher(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret;

	if (!ctx)
		return -ENOMEM;
	if ((ret = allow_names(ctx, NAMES(sys_launcher_deny), SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (ret = deny_new_namespaces(ctx)) < 0) {
		seccomp_release(ctx);
		return ret;
	}
	return load(ctx);
}
