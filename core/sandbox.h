/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/sandbox.h — umbrald's seccomp filters (issue 7). After the drop
 * (core/priv.h) each domain allows only the system calls it makes; any other
 * writes one line to stderr (the daemon's log), "seccomp: forbidden system
 * call N (name) ...", and kills the process by SIGSYS. A filter cannot be
 * removed and is inherited across fork and exec.
 */
#ifndef UMBRAL_SANDBOX_H
#define UMBRAL_SANDBOX_H

#include "policy/policy.h"

/*
 * Installs domain d's allow-list and the SIGSYS handler that reports a
 * violation. Needs no_new_privs (priv_drop sets it). 0 or -errno.
 */
int sandbox_install(enum domain d);

/*
 * The filter of crypto's wireguard-go launcher (wg/wggo_launch.c), which
 * every wireguard-go it starts inherits: the Go runtime's system calls are
 * not ours to list, so this one denies, killing the process, only what
 * neither needs and an intruder would want (mount, ptrace, namespaces,
 * bpf, io_uring, kernel modules, keyrings, ...). 0 or -errno.
 */
int sandbox_install_launcher(void);

#endif
