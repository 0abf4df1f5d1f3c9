/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/nl.h — one netlink request and all its replies, over libmnl.
 *
 * Shared by every module that speaks netlink (routes, links, WireGuard's
 * generic netlink family). nftables batches have their own path (policy/nft).
 */
#ifndef UMBRAL_NL_H
#define UMBRAL_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* Opens and binds a netlink socket on bus. Returns NULL with errno set. */
struct mnl_socket *nl_open(int bus);

/*
 * The netfilter socket (nftables, conntrack) of this process, opened on
 * first use and kept open: closing a netfilter socket waits for the kernel
 * to finish destroying what its last requests removed (an RCU grace period,
 * 8-15 ms here: set elements of a site removed, conntrack entries deleted).
 * NULL with errno set. After an error, close it: the next call opens a fresh one.
 */
struct mnl_socket *nl_netfilter(void);
/*
 * The process's one sequence counter: nl_talk numbers from it, and so does
 * who sends a batch of its own (nftables), advancing it past what it used,
 * so that no two requests on the shared socket carry the same number.
 */
uint32_t *nl_seq(void);
void nl_netfilter_close(void);

/*
 * Sends the message at nlh (sequence and NLM_F_ACK are set here) and reads
 * replies until the ack or the end of a dump, calling cb (may be NULL) for
 * each data message. Returns 0, or the negative errno the kernel answered.
 */
int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * A request that failed: message i of nl_talk_many() answered err (negative
 * errno). Returns what counts: err, or 0 when the caller accepts it (a
 * delete of what is gone already).
 */
typedef int (*nl_err_cb)(size_t i, int err, void *ctx);

/*
 * Sends the messages at msgs (len bytes; sequence and NLM_F_ACK set here)
 * in one datagram and reads every ack: thousands of routes without a round
 * trip each. Keep a call to a few hundred messages, so that the acks fit the
 * socket's receive buffer. Returns 0 or the first error on_err kept.
 */
int nl_talk_many(struct mnl_socket *nl, void *msgs, size_t len, nl_err_cb on_err, void *ctx);

#endif
