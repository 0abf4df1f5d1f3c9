// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/wggo_tune.c — gives wireguard-go's UDP sockets large buffers.
 * wireguard-go 0.0.20220316 (Debian 12) leaves them at the 208 KiB default, so
 * a burst of ciphertext overflows the receive queue (UdpRcvbufErrors) and TCP
 * through the tunnel collapses into retransmits. Newer wireguard-go sets 7 MiB
 * itself; until Debian ships it, we reach into the process and do it for it.
 */
#include "wg/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"

#define WG_GO_SOCKBUF (7 << 20)

/* Sets the buffers if fd is an IP datagram socket. Returns 1 if it was one. */
static int
tune_one(int fd)
{
	int type, domain, size = WG_GO_SOCKBUF;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_DGRAM)
		return 0;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    (domain != AF_INET && domain != AF_INET6))
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		return -errno;
	return 1;
}

int
wg_go_tune_sockets(pid_t pid)
{
	char dir[64], link[64];
	struct dirent *e;
	int pidfd, tuned = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	d = opendir(dir);
	if (!d) {
		int e2 = -errno;
		close(pidfd);
		return e2;
	}
	while ((e = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		int fd;

		if (n <= 0 || strncmp(link, "socket:", 7) != 0)
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			continue;
		if (tune_one(fd) > 0)
			tuned++;
		close(fd);
	}
	closedir(d);
	close(pidfd);
	log_debug("wg: wireguard-go %d: %d UDP sockets given %d KiB buffers", (int)pid, tuned,
		  WG_GO_SOCKBUF >> 10);
	return tuned;
}
