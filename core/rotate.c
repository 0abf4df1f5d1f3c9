// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/rotate.c — rotation of a domain's audit log: on an administrator's
 * `audit rotate`, and by itself when the live log passes a limit, so that a
 * box that runs for years keeps a bounded log. Old records move into an
 * archive file in the state directory behind an anchor (storage/audit.c), so
 * the chain still verifies; the archives are named to the administrator and
 * checked by `audit verify`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "storage/audit.h"

#define AUDIT_MAX_DEFAULT 10000
#define AUTO_RETRY_S 3600 /* after a failed automatic rotation */

void
admin_rotate_init(struct daemon *d)
{
	const char *env = getenv("UMBRAL_AUDIT_MAX");
	long long v = env ? strtoll(env, NULL, 10) : 0;

	d->audit_max = v > 0 ? v : AUDIT_MAX_DEFAULT;
}

/* "record 7" or "records 1-6", into buf. */
static const char *
range(char *buf, size_t len, int64_t first, int64_t last)
{
	if (first == last)
		snprintf(buf, len, "record %" PRId64, first);
	else
		snprintf(buf, len, "records %" PRId64 "-%" PRId64, first, last);
	return buf;
}

/* The archive of records first-last: in the state directory, named by range and UTC time. */
static int
archive_name(const struct daemon *d, int64_t first, int64_t last, char *path, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	n = snprintf(path, len, "%s/audit-%06" PRId64 "-%06" PRId64 "-%s.db", d->state_dir, first,
		     last, stamp);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Moves every live record but the newest keep into a new archive. Returns 0
 * with the range moved in *first, *last and the archive in path; 1 when the
 * live log holds keep records or fewer (*first, *last: the live span); or a
 * negative errno (-EBADMSG: the chain is broken, nothing moved).
 */
static int
rotate(struct daemon *d, int64_t keep, int64_t *first, int64_t *last, char *path, size_t len)
{
	int ret = audit_span(d->store, first, last);

	if (ret < 0)
		return ret;
	if (*last - *first + 1 <= keep)
		return 1;
	*last -= keep;
	if ((ret = archive_name(d, *first, *last, path, len)) < 0)
		return ret;
	return audit_rotate(d->store, path, *last);
}

/* --keep N into *keep: 0 or -1 with the reason in out. */
static int
parse_keep(int argc, char **argv, int64_t *keep, struct buf *out)
{
	char *end;
	long long v;

	*keep = 0;
	if (argc == 2)
		return 0;
	if (argc == 4 && strcmp(argv[2], "--keep") == 0) {
		errno = 0;
		v = strtoll(argv[3], &end, 10);
		if (*argv[3] && !*end && errno == 0 && v >= 0) {
			*keep = v;
			return 0;
		}
		buf_printf(out, "audit rotate: --keep '%s': give a number of records (0 or more)\n",
			   argv[3]);
		return -1;
	}
	buf_puts(out, "audit rotate: usage: audit rotate [--keep N]\n");
	return -1;
}

int
admin_rotate(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	const char *dom = domain_name(d->domain);
	char path[PATH_MAX], summary[PATH_MAX + 256], r[48];
	int64_t keep, first, last;
	int ret;

	if (parse_keep(argc, argv, &keep, out) < 0)
		return CTL_INVALID;
	d->rotating = true;
	ret = rotate(d, keep, &first, &last, path, sizeof(path));
	d->rotating = false;
	if (ret == 1)
		snprintf(summary, sizeof(summary), "nothing to rotate: %" PRId64 " live records",
			 last - first + 1);
	else if (ret == 0)
		snprintf(summary, sizeof(summary), "%s archived to %s",
			 range(r, sizeof(r), first, last), path);
	else if (ret == -EBADMSG)
		snprintf(summary, sizeof(summary),
			 "the chain is broken (see audit verify): nothing archived");
	else
		snprintf(summary, sizeof(summary), "cannot rotate: %s; nothing archived",
			 strerror(-ret));
	admin_audit(d, peer, AUDIT_KIND_LOG_ROTATION, argc, argv, 0, summary,
		    ret >= 0 ? AUDIT_OK : AUDIT_FAILED);
	buf_printf(out, "%s: %s", dom, summary);
	if (ret == 0 && audit_span(d->store, &first, &last) == 0)
		buf_printf(out, " (mode 0600); the live log holds %s",
			   range(r, sizeof(r), first, last));
	buf_puts(out, "\n");
	return ret < 0 ? CTL_FAILED : CTL_OK;
}

void
admin_rotate_auto(struct daemon *d)
{
	char path[PATH_MAX], summary[PATH_MAX + 256], keep_s[24], r[48];
	char *words[] = {"audit", "rotate", "--keep", keep_s};
	int64_t first, last, keep = d->audit_max / 2;
	int ret;

	if (d->rotating || d->audit_max <= 0 || time(NULL) < d->rotate_retry)
		return;
	if (audit_span(d->store, &first, &last) < 0 || last - first + 1 <= d->audit_max)
		return;
	d->rotating = true;
	ret = rotate(d, keep, &first, &last, path, sizeof(path));
	if (ret == 0)
		snprintf(summary, sizeof(summary),
			 "automatic (over %" PRId64 " live records): %s archived to %s",
			 d->audit_max, range(r, sizeof(r), first, last), path);
	else
		snprintf(summary, sizeof(summary),
			 "automatic (over %" PRId64 " live records): cannot rotate: %s; "
			 "retrying in %d s",
			 d->audit_max,
			 ret == -EBADMSG ? "the chain is broken (see audit verify)"
					 : strerror(-ret),
			 AUTO_RETRY_S);
	if (ret != 0) {
		d->rotate_retry = time(NULL) + AUTO_RETRY_S;
		log_warnx("audit: %s", summary);
	}
	snprintf(keep_s, sizeof(keep_s), "%" PRId64, keep);
	admin_audit(d, NULL, AUDIT_KIND_LOG_ROTATION, 4, words, 0, summary,
		    ret == 0 ? AUDIT_OK : AUDIT_FAILED);
	d->rotating = false;
}

/*
 * For `audit list`: where the records before the live log went, one line
 * starting "# " (the CLI prints such lines above the merged log).
 */
void
admin_archives_note(struct daemon *d, struct buf *out)
{
	struct audit_anchor *a;
	char r[48];
	size_t n;

	if (audit_anchors(d->store, &a, &n) < 0 || n == 0)
		return;
	buf_printf(out, "# %s: %s %s archived", domain_name(d->domain),
		   range(r, sizeof(r), a[0].first_seq, a[n - 1].last_seq),
		   a[0].first_seq == a[n - 1].last_seq ? "is" : "are");
	if (n == 1)
		buf_printf(out, " in %s\n", a[0].archive);
	else
		buf_printf(out, " in %zu files, the newest %s\n", n, a[n - 1].archive);
	free(a);
}

/*
 * For `audit verify`, once the live chain checked out: each archive still on
 * the box is verified and must link to its anchor. Returns false when one is
 * broken; an archive taken off the box is named, not failed.
 */
bool
admin_archives_verify(struct daemon *d, struct buf *out)
{
	const char *dom = domain_name(d->domain);
	struct audit_anchor *a;
	char why[256], r[48];
	int64_t bad;
	bool ok = true;
	size_t n;
	int ret;

	if ((ret = audit_anchors(d->store, &a, &n)) < 0) {
		buf_printf(out, "%s: cannot read the archive anchors: %s\n", dom, strerror(-ret));
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = a[i].archive;
		if (access(p, F_OK) < 0) {
			buf_printf(
			    out, "%s: archive %s (%s) is not on this box (%s): not checked\n", dom,
			    p, range(r, sizeof(r), a[i].first_seq, a[i].last_seq), strerror(errno));
			continue;
		}
		ret = audit_verify_archive(d->store, p, &bad, why, sizeof(why));
		if (ret == 0) {
			buf_printf(out, "%s: archive %s (%s) intact\n", dom, p,
				   range(r, sizeof(r), a[i].first_seq, a[i].last_seq));
			continue;
		}
		ok = false;
		if (ret == -EBADMSG)
			buf_printf(out, "%s: archive %s BROKEN at record %" PRId64 ": %s\n", dom, p,
				   bad, why);
		else
			buf_printf(out, "%s: archive %s: cannot verify: %s\n", dom, p,
				   strerror(-ret));
	}
	free(a);
	return ok;
}
