// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_priv.c — least privilege (core/priv.c, core/sandbox.c):
 * each domain's capabilities, handing a state tree over without following
 * links, and the seccomp filters, each tried in a child that sets
 * no_new_privs itself (no root needed): an allowed call returns, a forbidden
 * one kills the child by SIGSYS with the log line on its stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/priv.h"
#include "core/sandbox.h"

static void
test_domain_caps(void **state)
{
	char buf[96];

	(void)state;
	assert_int_equal(priv_domain_caps(DOMAIN_BLACK), PRIV_CAP(CAP_NET_ADMIN));
	assert_int_equal(priv_domain_caps(DOMAIN_CRYPTO), PRIV_CAP(CAP_NET_ADMIN));
	assert_int_equal(priv_domain_caps(DOMAIN_RED), PRIV_CAP(CAP_NET_ADMIN) |
							   PRIV_CAP(CAP_NET_RAW) |
							   PRIV_CAP(CAP_NET_BIND_SERVICE));
	assert_string_equal(priv_caps_format(priv_domain_caps(DOMAIN_RED), buf, sizeof(buf)),
			    "cap_net_bind_service,cap_net_admin,cap_net_raw");
	assert_string_equal(priv_caps_format(0, buf, sizeof(buf)), "none");
	assert_string_equal(priv_caps_format(PRIV_CAP(40), buf, sizeof(buf)), "cap_40");
	/* Cut, never overrun. */
	assert_string_equal(priv_caps_format(priv_domain_caps(DOMAIN_RED), buf, 8), "cap_net");
}

static void
test_user_lookup(void **state)
{
	struct priv_user u;

	(void)state;
	assert_int_equal(priv_user_lookup("root", &u), -EINVAL); /* not a drop */
	assert_int_equal(priv_user_lookup("no-such-user-umbral-test", &u), -ENOENT);
}

/*
 * A tree with a file, a directory and a link to a file outside it: the link
 * is not followed; a hard link to it is refused.
 */
static void
test_give_tree(void **state)
{
	char dir[] = "/tmp/umbral-priv.XXXXXX", path[128],
	     outside[] = "/tmp/umbral-priv-out.XXXXXX";
	struct priv_user u = {.uid = 65534, .gid = 65534};
	struct stat st;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip(); /* chown to another user needs root */
	assert_non_null(mkdtemp(dir));
	fd = mkstemp(outside);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/policy.db", dir);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(priv_give_tree(dir, &u), 0);
	snprintf(path, sizeof(path), "%s/sub/policy.db", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_uid, 0); /* the link's target stayed root's */
	assert_int_equal(priv_give_tree(path, &u), -ENOTDIR);
	/* A hard link to a root file (what the user could plant) is refused, not given. */
	snprintf(path, sizeof(path), "%s/hard", dir);
	assert_int_equal(link(outside, path), 0);
	assert_int_equal(priv_give_tree(dir, &u), -EMLINK);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_uid, 0);
	snprintf(path, sizeof(path), "rm -rf %s %s", dir, outside);
	assert_int_equal(system(path), 0);
}

enum probe {
	PROBE_GETPID,
	PROBE_EXECVE,
	PROBE_PACKET,
	PROBE_WX,
	PROBE_UNSHARE,
	PROBE_FORK,	     /* clone without a new namespace */
	PROBE_CLONE_NEWUSER, /* clone into a new user namespace */
	PROBE_CLONE3,	     /* exits 3 unless clone3 answers ENOSYS */
};

/* Makes one call; returns only when the filter let it through. */
static void
probe(enum probe p)
{
	char *const none[] = {NULL};
	pid_t pid;
	void *m;

	switch (p) {
	case PROBE_GETPID:
		(void)getpid();
		break;
	case PROBE_EXECVE:
		execve("/nonexistent", none, none);
		break;
	case PROBE_PACKET: /* fails without CAP_NET_RAW, but returns where allowed */
		close(socket(AF_PACKET, SOCK_DGRAM, 0));
		break;
	case PROBE_WX:
		m = mmap(NULL, 4096, PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		break;
	case PROBE_UNSHARE:
		(void)unshare(0);
		break;
	case PROBE_FORK: {
		int st = 0;
		/* The child must get as far as its exit: glibc's fork makes calls in it too. */
		if ((pid = fork()) == 0)
			_exit(0);
		if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)))
			_exit(4);
		break;
	}
	case PROBE_CLONE_NEWUSER:
		/* The raw call: glibc's clone() wants a stack; the filter acts first. */
		if (syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == 0)
			_exit(0);
		break;
	case PROBE_CLONE3:
		if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
			_exit(3);
		break;
	}
}

/*
 * Forks a child that installs domain d's filter (or the launcher's, d ==
 * DOMAIN_COUNT) and makes call p. Returns its wait status; its stderr goes
 * to err (a file) so that the log line can be read.
 */
static int
run_filtered(enum domain d, enum probe p, FILE *err)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (err)
			dup2(fileno(err), STDERR_FILENO);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    (d == DOMAIN_COUNT ? sandbox_install_launcher() : sandbox_install(d)) < 0)
			_exit(2);
		probe(p);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static bool
killed_by_sigsys(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static void
test_filters(void **state)
{
	(void)state;
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		assert_int_equal(run_filtered(d, PROBE_GETPID, NULL), 0);
		assert_true(killed_by_sigsys(run_filtered(d, PROBE_EXECVE, NULL)));
		assert_true(killed_by_sigsys(run_filtered(d, PROBE_WX, NULL)));
	}
	/* Only red has a packet socket (ARP probes). */
	assert_int_equal(run_filtered(DOMAIN_RED, PROBE_PACKET, NULL), 0);
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_BLACK, PROBE_PACKET, NULL)));
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_CRYPTO, PROBE_PACKET, NULL)));
	/* Crypto forks the keystore's Argon2id child; no domain clones into a namespace. */
	assert_int_equal(run_filtered(DOMAIN_CRYPTO, PROBE_FORK, NULL), 0);
#if !defined(__SANITIZE_ADDRESS__) /* SAN=1 lets every domain clone (LSan's stop-the-world) */
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_CRYPTO, PROBE_CLONE_NEWUSER, NULL)));
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_RED, PROBE_FORK, NULL)));
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_BLACK, PROBE_FORK, NULL)));
#endif
	/* The launcher's deny-list: exec is its job, namespaces are not. */
	assert_int_equal(run_filtered(DOMAIN_COUNT, PROBE_EXECVE, NULL), 0);
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_COUNT, PROBE_UNSHARE, NULL)));
	/* Threads and children yes, new namespaces by clone no, clone3 falls back. */
	assert_int_equal(run_filtered(DOMAIN_COUNT, PROBE_FORK, NULL), 0);
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_COUNT, PROBE_CLONE_NEWUSER, NULL)));
	assert_int_equal(run_filtered(DOMAIN_COUNT, PROBE_CLONE3, NULL), 0);
}

static void
test_violation_is_logged(void **state)
{
	char line[256] = "";
	FILE *err = tmpfile();

	(void)state;
	assert_non_null(err);
	assert_true(killed_by_sigsys(run_filtered(DOMAIN_BLACK, PROBE_EXECVE, err)));
	rewind(err);
	assert_non_null(fgets(line, sizeof(line), err));
	assert_non_null(strstr(line, " umbrald fatal: seccomp: forbidden system call 59 (execve) "
				     "in the black domain; killed by SIGSYS\n"));
	/* The log's own timestamp format: 2025-01-31T12:34:56.789Z */
	assert_int_equal(strspn(line, "0123456789-T:.Z"), 24);
	assert_int_equal(line[4], '-');
	assert_int_equal(line[10], 'T');
	assert_int_equal(line[23], 'Z');
	fclose(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_domain_caps),		cmocka_unit_test(test_user_lookup),
	    cmocka_unit_test(test_give_tree),		cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_violation_is_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
