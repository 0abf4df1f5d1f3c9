// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/refusals.c — the token buckets that bound how many audit records
 * refused callers cost (one per uid, a shared one when too many uids come at
 * once), and the summaries of what they did not record.
 */
#include "core/refusals.h"

#include <string.h>

void
refusals_init(struct refusals *r, unsigned burst, double refill_s)
{
	memset(r, 0, sizeof(*r));
	r->burst = burst ? burst : REFUSALS_BURST;
	r->refill_s = refill_s > 0 ? refill_s : REFUSALS_REFILL_S;
	r->others.used = true;
	r->others.tokens = r->burst;
}

/* The tokens b has at now, without changing it. */
static double
tokens_at(const struct refusals *r, const struct refusals_bucket *b, double now)
{
	double t = b->tokens + (now > b->last ? (now - b->last) / r->refill_s : 0);

	return t < r->burst ? t : r->burst;
}

static void
refill(const struct refusals *r, struct refusals_bucket *b, double now)
{
	b->tokens = tokens_at(r, b, now);
	if (now > b->last)
		b->last = now;
}

/* Full and owing nothing: indistinguishable from a new bucket. */
static bool
idle(const struct refusals *r, const struct refusals_bucket *b, double now)
{
	return !b->used || (b->suppressed == 0 && tokens_at(r, b, now) >= r->burst);
}

static struct refusals_bucket *
bucket_of(struct refusals *r, uid_t uid, double now)
{
	struct refusals_bucket *b, *spare = NULL;

	for (int i = 0; i < REFUSALS_SLOTS; i++) {
		b = &r->slot[i];
		if (b->used && b->uid == uid)
			return b;
		if (!spare && idle(r, b, now))
			spare = b;
	}
	if (!spare)
		return &r->others;
	*spare =
	    (struct refusals_bucket){.used = true, .uid = uid, .tokens = r->burst, .last = now};
	return spare;
}

/* Hands b's count over as a summary and starts counting afresh. */
static void
summarize(struct refusals *r, struct refusals_bucket *b, double now, struct refusals_summary *sum)
{
	*sum = (struct refusals_summary){.others = b == &r->others,
					 .uid = b->uid,
					 .suppressed = b->suppressed,
					 .seconds = now - b->since};
	b->suppressed = 0;
}

bool
refusals_hit(struct refusals *r, uid_t uid, double now, struct refusals_summary *sum)
{
	struct refusals_bucket *b = bucket_of(r, uid, now);

	refill(r, b, now);
	sum->suppressed = 0;
	if (b->tokens < 1) {
		if (b->suppressed++ == 0)
			b->since = now;
		return false;
	}
	b->tokens -= 1;
	if (b->suppressed)
		summarize(r, b, now, sum);
	return true;
}

bool
refusals_due(struct refusals *r, double now, struct refusals_summary *sum)
{
	for (int i = 0; i <= REFUSALS_SLOTS; i++) {
		struct refusals_bucket *b = i < REFUSALS_SLOTS ? &r->slot[i] : &r->others;
		if (!b->used || !b->suppressed)
			continue;
		refill(r, b, now);
		if (b->tokens < 1)
			continue;
		b->tokens -= 1;
		summarize(r, b, now, sum);
		return true;
	}
	return false;
}

double
refusals_next(const struct refusals *r, double now)
{
	double next = -1;

	for (int i = 0; i <= REFUSALS_SLOTS; i++) {
		const struct refusals_bucket *b = i < REFUSALS_SLOTS ? &r->slot[i] : &r->others;
		double wait;
		if (!b->used || !b->suppressed)
			continue;
		wait = (1 - tokens_at(r, b, now)) * r->refill_s;
		if (wait < 0)
			wait = 0;
		if (next < 0 || wait < next)
			next = wait;
	}
	return next;
}
