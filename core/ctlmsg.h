/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/ctlmsg.h — the control-socket wire format, shared by umbrald and umbral.
 *
 * Request: u32 magic, u32 length, then `length` bytes of arguments, each
 * NUL-terminated. Reply: u32 magic, u32 status, u32 length, then `length`
 * bytes of text. Integers in host order: the socket is local by design.
 * Everything is size-checked before use; the payload is outside input.
 */
#ifndef UMBRAL_CTLMSG_H
#define UMBRAL_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define CTL_MAGIC 0x556d4231u /* "UmB1" */
#define CTL_MSG_MAX (1u << 20)
#define CTL_ARGC_MAX 2048
#define CTL_REQ_HDR 8
#define CTL_REP_HDR 12

enum ctl_status {
	CTL_OK = 0,
	CTL_FAILED = 1, /* the request was right but could not be carried out */
	CTL_INVALID = 2, /* bad input: nothing changed */
	CTL_DENIED = 3, /* the caller may not do this */
};

/* Appends a whole request. Returns 0 or -E2BIG / -EINVAL / -ENOMEM. */
int ctl_request_encode(struct buf *out, int argc, char *const argv[]);
/* Checks a request header; writes the payload length. Returns 0 or -EPROTO. */
int ctl_request_header(const uint8_t hdr[CTL_REQ_HDR], uint32_t *len);
/*
 * Splits a payload into argv (pointers into payload, which must stay alive).
 * Returns argc, or -EINVAL when the payload is not a list of NUL-terminated
 * strings or has more than max of them.
 */
int ctl_request_args(char *payload, size_t len, char **argv, int max);
/* Appends a whole reply. Returns 0, or -E2BIG/-ENOMEM. */
int ctl_reply_encode(struct buf *out, int status, const char *text, size_t len);
/* Checks a reply header; writes status and length. Returns 0 or -EPROTO. */
int ctl_reply_header(const uint8_t hdr[CTL_REP_HDR], int *status, uint32_t *len);

#endif
