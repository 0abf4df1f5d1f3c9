/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/refusals.h — how many audit records callers refused at the control
 * socket may cost. Anyone on the box may connect and be refused, and each
 * refusal is audited, so without a limit a user with no role could grow the
 * audit log without bound.
 *
 * A token bucket per uid: `burst` records at once, then one per `refill_s`
 * seconds. A refusal over the limit is counted, not recorded; the count comes
 * back as a summary once the bucket allows a record again: with the next
 * refusal that may be recorded, or on its own (taking the token) when the
 * caller asks what is due. So a uid costs at most burst records, then two
 * per refill_s.
 * Pure: the caller passes the time (any clock that does not go back), so the
 * arithmetic is tested without one; no allocation.
 */
#ifndef UMBRAL_REFUSALS_H
#define UMBRAL_REFUSALS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define REFUSALS_BURST 10
#define REFUSALS_REFILL_S 60.0
#define REFUSALS_SLOTS 64

struct refusals_bucket {
	bool used;
	uid_t uid;
	double tokens;	     /* records it may write now, up to burst */
	double last;	     /* when tokens was last brought up to date */
	uint64_t suppressed; /* refusals counted since the last record */
	double since;	     /* when the first of them came */
};

/*
 * One bucket per uid seen lately; a bucket that is full and owes no summary
 * is as good as new and is reused for another uid. When every slot is busy
 * (more than REFUSALS_SLOTS uids refused within burst * refill_s), the
 * others share one bucket.
 */
struct refusals {
	unsigned burst;
	double refill_s;
	struct refusals_bucket slot[REFUSALS_SLOTS];
	struct refusals_bucket others;
};

/* Suppressed refusals to be recorded as one. */
struct refusals_summary {
	bool others; /* from the shared bucket: uid is not one caller's */
	uid_t uid;
	uint64_t suppressed;
	double seconds; /* from the first of them to now */
};

/* Every bucket full; burst 0 or refill_s <= 0 take the defaults. */
void refusals_init(struct refusals *r, unsigned burst, double refill_s);

/*
 * A refusal of uid at now. Returns true when it is to be recorded (it took a
 * token), false when it was only counted. When it is recorded and refusals
 * were counted before it, their summary is written to *sum (it goes into the
 * log before this refusal); otherwise sum->suppressed is 0.
 */
bool refusals_hit(struct refusals *r, uid_t uid, double now, struct refusals_summary *sum);

/*
 * A summary that is due at now (a bucket owes one and has a token): takes the
 * token, writes *sum and returns true; false when none is due. Call until
 * false.
 */
bool refusals_due(struct refusals *r, double now, struct refusals_summary *sum);

/* Seconds from now until the next summary is due; negative when none is owed. */
double refusals_next(const struct refusals *r, double now);

#endif
