// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/wggo.c — starts wireguard-go where the kernel has no WireGuard. We open
 * the tun device and the UAPI socket ourselves (in crypto's netns, at our own
 * path) and hand both over; the child gets a private tmpfs on /run/wireguard
 * because wireguard-go insists on watching /run/wireguard/IFNAME.sock, a
 * path every namespace on the host would otherwise share. An umbrald started
 * as root has a launcher (wg/wggo_launch.c) fork and exec it without root;
 * otherwise we fork here.
 */
#include "wg/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define SPAWN_WAIT_MS 3000
#define SPAWN_STEP_MS 50

static int
tun_open(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/*
	 * With packet information (no IFF_NO_PI): wireguard-go 0.0.20220316 keeps
	 * the 4-byte header for its "TUN status hack" and, given a tun fd, assumes
	 * it is there — without it every packet is cut and dropped.
	 */
	ifr.ifr_flags = IFF_TUN;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Binds and listens at path; a file there is removed only when nothing answers on it. */
static int
uapi_listen(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct wg_dev_state st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if (access(path, F_OK) == 0) {
		if (wg_uapi_get(path, &st) == 0) {
			wg_state_free(&st);
			return -EADDRINUSE; /* a live wireguard-go we did not find by its interface */
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int
wg_go_placeholder(const char *ifname)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "/run/wireguard/%s.sock", ifname);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* In our own child: a private /run/wireguard with the placeholder wireguard-go watches. */
static int
child_mounts(const char *ifname)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	mkdir("/run", 0755);
	mkdir("/run/wireguard", 0700);
	if (mount("tmpfs", "/run/wireguard", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=64k,mode=0700") < 0)
		return -1;
	return wg_go_placeholder(ifname);
}

void
wg_go_exec(const char *ifname, int tun, int uapi, int logfd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid(); /* a signal to umbrald's process group must not stop the tunnel */
	/*
	 * Move both fds above 4 first (tun may already be 3, where dup2 would do
	 * nothing and keep FD_CLOEXEC), then place them at 3 and 4, inheritable.
	 */
	tun = fcntl(tun, F_DUPFD_CLOEXEC, 10);
	uapi = fcntl(uapi, F_DUPFD_CLOEXEC, 10);
	if (tun < 0 || uapi < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 || dup2(tun, 3) < 0 ||
	    dup2(uapi, 4) < 0)
		_exit(127);
	close_range(5, ~0U, 0);
	if (setenv("WG_TUN_FD", "3", 1) || setenv("WG_UAPI_FD", "4", 1) ||
	    setenv("WG_PROCESS_FOREGROUND", "1", 1))
		_exit(127);
	execlp("wireguard-go", "wireguard-go", ifname, (char *)NULL);
	_exit(127);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Waits until wireguard-go answers get=1, or it exits, or 3 s pass. One
 * attempt may itself wait up to the UAPI timeout, so the bound is ~3 + 2 s.
 * It is our child, or the launcher's (which reaps it, so it is gone from kill).
 */
static int
wait_ready(const char *path, pid_t pid)
{
	long deadline = now_ms() + SPAWN_WAIT_MS;
	struct wg_dev_state st;
	int status;

	while (now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid || (kill(pid, 0) < 0 && errno == ESRCH))
			return -ECHILD;
		if (wg_uapi_get(path, &st) == 0) {
			wg_state_free(&st);
			return 0;
		}
		sleep_ms(SPAWN_STEP_MS);
	}
	return -ETIMEDOUT;
}

static int
pid_write(const char *uapi_path, pid_t pid)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s.pid", uapi_path) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.pid.tmp", uapi_path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

int
wg_go_read_pid(const char *uapi_path, pid_t *pid)
{
	char path[PATH_MAX], line[32];
	char *end;
	long v;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s.pid", uapi_path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	v = strtol(line, &end, 10);
	if (end == line || (*end != '\n' && *end != '\0') || v <= 1 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* Our own fork, where no launcher was started (umbrald not started as root). */
static int
spawn_here(const char *ifname, int tun, int uapi, int logfd, pid_t *out)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (child_mounts(ifname) < 0)
			_exit(127);
		wg_go_exec(ifname, tun, uapi, logfd);
	}
	*out = pid;
	return 0;
}

static int
spawn(const char *ifname, int tun, int uapi, const char *logpath, pid_t *out)
{
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600), ret;

	if (logfd < 0)
		return -errno;
	ret = wg_go_launcher_spawn(ifname, tun, uapi, logfd, out);
	if (ret == -ENOSYS)
		ret = spawn_here(ifname, tun, uapi, logfd, out);
	close(logfd);
	return ret;
}

int
wg_go_spawn(const char *ifname, const char *uapi_path, pid_t *out)
{
	char logpath[PATH_MAX];
	int tun, uapi, ret;
	pid_t pid = 0;

	if (snprintf(logpath, sizeof(logpath), "%s.log", uapi_path) >= (int)sizeof(logpath))
		return -ENAMETOOLONG;
	tun = tun_open(ifname);
	if (tun < 0)
		return tun;
	uapi = uapi_listen(uapi_path);
	if (uapi < 0) {
		close(tun);
		return uapi;
	}
	ret = spawn(ifname, tun, uapi, logpath, &pid);
	close(tun);
	close(uapi);
	if (ret == 0)
		ret = wait_ready(uapi_path, pid);
	if (ret == 0)
		ret = pid_write(uapi_path, pid);
	if (ret < 0 && pid > 0) {
		log_warnx("%s: wireguard-go for %s did not come up (%s), see %s", __func__, ifname,
			  strerror(-ret), logpath);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	if (ret < 0 && pid == 0)
		log_warnx("%s: cannot start wireguard-go for %s: %s", __func__, ifname,
			  strerror(-ret));
	if (ret == 0)
		*out = pid;
	return ret;
}
