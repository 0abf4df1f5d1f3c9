// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/wggo_launch.c — starts wireguard-go without root (issue 7). crypto,
 * while still root and before it holds anything secret, forks this launcher:
 * it makes its own mount namespace with a private tmpfs on /run/wireguard
 * (wireguard-go watches a file there), becomes the daemon's user with
 * CAP_NET_ADMIN permitted, inheritable and ambient, and then only forks and
 * execs wireguard-go when crypto asks, over a socketpair, with the tun, UAPI
 * and log fds crypto opened. Each wireguard-go so runs as that user with
 * CAP_NET_ADMIN alone and no_new_privs, and the launcher reaps and logs it.
 *
 * Why a process of its own: a seccomp filter is inherited across exec. Had
 * crypto itself forked wireguard-go after its filter went in, the Go
 * runtime's calls (clone, futex, ...) would have to be on crypto's allow-list,
 * and crypto would keep fork and execve. The launcher is forked before
 * crypto's filter, so crypto can do neither; it carries a deny-list of its own
 * (core/sandbox.c), which every wireguard-go inherits. It reads nothing but
 * fixed-size requests from its parent.
 */
#include "wg/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/priv.h"
#include "core/sandbox.h"

#define LAUNCH_FDS 3 /* tun, uapi, log */
#define LAUNCH_TIMEOUT_S 5

struct launch_req {
	char ifname[IFNAMSIZ];
};

/* > 0: the pid of wireguard-go; 0: the launcher is ready; < 0: -errno. */
struct launch_rep {
	int32_t result;
};

static int launcher_fd = -1; /* crypto's end of the socketpair */

static bool
ifname_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("-_.", s[i])))
			return false;
	return true;
}

static void
reply(int sock, int32_t result)
{
	struct launch_rep rep = {.result = result};

	if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
		log_warnx("wg-launcher: cannot answer crypto: %s", strerror(errno));
}

/* One request: 1 and the fds, 0 at the end of the stream, -errno for a bad one (fds closed). */
static int
recv_req(int sock, struct launch_req *req, int fds[LAUNCH_FDS])
{
	char cbuf[CMSG_SPACE(sizeof(int) * LAUNCH_FDS)];
	struct iovec iov = {.iov_base = req, .iov_len = sizeof(*req)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	size_t nfds = 0;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return n == 0 ? 0 : -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	/*
	 * The control buffer rounds up and may hold one fd more than asked for:
	 * any count but ours is refused, its fds closed where they lie, before
	 * anything is copied into fds[].
	 */
	if (nfds != LAUNCH_FDS) {
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
		return -EINVAL;
	}
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * LAUNCH_FDS);
	if ((size_t)n == sizeof(*req) && !(mh.msg_flags & MSG_CTRUNC) &&
	    ifname_ok(req->ifname, sizeof(req->ifname)))
		return 1;
	for (size_t i = 0; i < LAUNCH_FDS; i++)
		close(fds[i]);
	return -EINVAL;
}

static void
serve_one(int sock, int sfd)
{
	struct launch_req req;
	int fds[LAUNCH_FDS], ret = recv_req(sock, &req, fds);
	pid_t pid;

	if (ret == 0)
		_exit(0); /* crypto is gone; its wireguard-go children live on */
	if (ret < 0) {
		log_warnx("wg-launcher: malformed request from crypto");
		reply(sock, ret);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sock);
		close(sfd);
		if (wg_go_placeholder(req.ifname) < 0)
			_exit(127);
		wg_go_exec(req.ifname, fds[0], fds[1], fds[2]);
	}
	for (int i = 0; i < LAUNCH_FDS; i++)
		close(fds[i]);
	reply(sock, pid < 0 ? -errno : (int32_t)pid);
}

/* Reaps every wireguard-go that ended, saying how: a seccomp kill must be seen. */
static void
reap(int sfd)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	if (read(sfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
		log_warnx("wg-launcher: signalfd: %s", strerror(errno));
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFSIGNALED(status))
			log_warnx("wg-launcher: wireguard-go %d killed by signal %d (%s)%s",
				  (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
				  WTERMSIG(status) == SIGSYS ? ": a system call its filter forbids"
							     : "");
		else
			log_info("wg-launcher: wireguard-go %d exited with status %d", (int)pid,
				 WEXITSTATUS(status));
	}
}

/* A private /run/wireguard owned by u, in a mount namespace that host mounts still reach. */
static int
private_run(const struct priv_user *u)
{
	char opts[64];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -errno;
	if (mkdir("/run/wireguard", 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(opts, sizeof(opts), "size=64k,mode=0700,uid=%u,gid=%u", (unsigned)u->uid,
		 (unsigned)u->gid);
	if (mount("tmpfs", "/run/wireguard", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return -errno;
	return 0;
}

static int
launcher_setup(const struct priv_user *u, int *sfd)
{
	uint64_t caps = PRIV_CAP(CAP_NET_ADMIN);
	sigset_t chld;
	int ret;

	if ((ret = private_run(u)) < 0 || (ret = priv_drop(u, caps, caps)) < 0 ||
	    (ret = priv_ambient(caps)) < 0 || (ret = sandbox_install_launcher()) < 0)
		return ret;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0 ||
	    (*sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	return 0;
}

static void __attribute__((noreturn)) launcher_main(int sock, const struct priv_user *u)
{
	struct pollfd pfd[2];
	int sfd = -1, ret;

	/* Nothing of crypto's but the log (stderr) and this socket, kept above 2. */
	if (sock < 3 && (sock = fcntl(sock, F_DUPFD_CLOEXEC, 3)) < 0)
		_exit(1);
	close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0U, 0);
	ret = launcher_setup(u, &sfd);
	if (ret < 0)
		log_warnx("wg-launcher: cannot set up: %s", strerror(-ret));
	reply(sock, ret);
	if (ret < 0)
		_exit(1);
	pfd[0] = (struct pollfd){.fd = sock, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (pfd[1].revents)
			reap(sfd);
		if (pfd[0].revents)
			serve_one(sock, sfd);
	}
}

static int
await_reply(int sock, int32_t *result)
{
	struct launch_rep rep;
	ssize_t n = recv(sock, &rep, sizeof(rep), 0);

	if (n < 0)
		return -errno;
	if (n != sizeof(rep))
		return -EPIPE; /* the launcher is gone */
	*result = rep.result;
	return 0;
}

int
wg_go_launcher_start(const struct priv_user *u)
{
	struct timeval tv = {.tv_sec = LAUNCH_TIMEOUT_S};
	int sv[2], ret;
	int32_t result = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		launcher_main(sv[1], u);
	ret = pid < 0 ? -errno : 0;
	close(sv[1]);
	if (ret == 0 && setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		ret = -errno;
	if (ret == 0 && (ret = await_reply(sv[0], &result)) == 0)
		ret = result;
	if (ret < 0) {
		close(sv[0]);
		return ret;
	}
	launcher_fd = sv[0];
	log_info("wg: wireguard-go launcher %d ready (user %s, cap_net_admin)", (int)pid, u->name);
	return 0;
}

int
wg_go_launcher_spawn(const char *ifname, int tun, int uapi, int logfd, pid_t *pid)
{
	char cbuf[CMSG_SPACE(sizeof(int) * LAUNCH_FDS)] = {0};
	struct launch_req req = {{0}};
	struct iovec iov = {.iov_base = &req, .iov_len = sizeof(req)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fds[LAUNCH_FDS] = {tun, uapi, logfd}, ret;
	int32_t result = 0;

	if (launcher_fd < 0)
		return -ENOSYS;
	if (strlen(ifname) >= sizeof(req.ifname))
		return -ENAMETOOLONG;
	strcpy(req.ifname, ifname);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(launcher_fd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	if ((ret = await_reply(launcher_fd, &result)) < 0)
		return ret;
	if (result <= 0)
		return result < 0 ? result : -EPROTO;
	*pid = (pid_t)result;
	return 0;
}
