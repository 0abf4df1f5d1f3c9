// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/roster_cli.c — `umbral roster`: making the authority key and signing a
 * roster (anywhere, offline), and on a node pinning the authority and
 * importing a signed roster as one revision of all three domains.
 */
#include "cli/roster_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlmsg.h"
#include "policy/roster.h"

#define SK_B64_LEN sodium_base64_ENCODED_LEN(ROSTER_SK_LEN, sodium_base64_VARIANT_ORIGINAL)

/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'd string. */
static char *
read_text(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (!f) {
		fprintf(stderr, "umbral: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	text = malloc(max + 2);
	n = text ? fread(text, 1, max + 1, f) : 0;
	fclose(f);
	if (!text || n > max || memchr(text, '\0', n)) {
		fprintf(stderr, "umbral: %s: %s\n", path,
			!text ? "out of memory" : n > max ? "too large" : "contains a NUL byte");
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

int
roster_cli_keygen(int argc, char **argv)
{
	uint8_t pk[ROSTER_PK_LEN], *sk;
	char pk64[WG_KEY_B64_LEN], sk64[SK_B64_LEN];
	int fd, rc = EXIT_FAIL;

	if (argc != 4 || strcmp(argv[2], "--secret-out") != 0)
		return EXIT_USAGE;
	if (sodium_init() < 0 || !(sk = sodium_malloc(ROSTER_SK_LEN)))
		return EXIT_FAIL;
	fd = open(argv[3], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fprintf(stderr, "umbral: %s: %s (an existing key is never overwritten)\n", argv[3],
			strerror(errno));
	else if (roster_keygen(pk, sk) == 0) {
		sodium_bin2base64(sk64, sizeof(sk64), sk, ROSTER_SK_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		if (dprintf(fd, "%s\n", sk64) > 0 && fsync(fd) == 0) {
			key_to_base64(pk64, pk);
			printf("%s\n", pk64);
			rc = EXIT_OK;
		}
		sodium_memzero(sk64, sizeof(sk64));
	}
	if (fd >= 0 && close(fd) < 0)
		rc = EXIT_FAIL;
	sodium_free(sk);
	return rc;
}

/* Reads the authority's secret key file into sk (sodium memory). */
static int
read_secret_key(const char *path, uint8_t *sk)
{
	size_t len, bin_len;
	char *text = read_text(path, 256, &len);
	int ret;

	if (!text)
		return -1;
	text[strcspn(text, "\n")] = '\0';
	ret = sodium_base642bin(sk, ROSTER_SK_LEN, text, strlen(text), NULL, &bin_len, NULL,
				sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(text, len);
	free(text);
	if (ret < 0 || bin_len != ROSTER_SK_LEN) {
		fprintf(stderr, "umbral: %s: not an authority secret key (roster keygen)\n", path);
		return -1;
	}
	return 0;
}

int
roster_cli_sign(int argc, char **argv)
{
	struct errbuf eb = {0};
	struct buf out;
	uint8_t *sk;
	size_t len;
	char *text;
	int rc = EXIT_USAGE;

	if (argc != 5 || strcmp(argv[2], "--key") != 0)
		return EXIT_USAGE;
	if (sodium_init() < 0 || !(sk = sodium_malloc(ROSTER_SK_LEN)))
		return EXIT_FAIL;
	text = read_text(argv[4], ROSTER_TEXT_MAX, &len);
	buf_init(&out);
	if (text && read_secret_key(argv[3], sk) == 0) {
		if (roster_sign(text, len, sk, &out, &eb) == 0) {
			fwrite(out.data, 1, out.len, stdout);
			rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
		} else {
			fprintf(stderr, "umbral: %s: not signed:\n%s", argv[4], eb.text);
		}
	}
	buf_free(&out);
	free(text);
	sodium_free(sk);
	return rc;
}

int
roster_cli_trust(struct node_ctx *n, int argc, char **argv)
{
	int worst = EXIT_OK;

	if (argc != 3)
		return EXIT_USAGE;
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, argc, argv, &r);
		if (st < 0)
			fprintf(stderr, "umbral: %s domain of node %s is not answering: %s\n",
				domain_name((enum domain)d), n->node, strerror(-st));
		else
			fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
		buf_free(&r);
		if (node_exit_code(st) > worst)
			worst = node_exit_code(st);
	}
	return worst;
}

int
roster_cli_import(struct node_ctx *n, int argc, char **argv, const char *comment)
{
	char *req[4] = {"--check", "roster", "import", NULL};
	struct buf r;
	size_t len;
	int st, rc;

	if (argc != 3)
		return EXIT_USAGE;
	if (!(req[3] = read_text(argv[2], ROSTER_TEXT_MAX, &len)))
		return EXIT_USAGE;
	/* crypto checks it first and says what would change; then all three apply it. */
	buf_init(&r);
	st = node_ask(n, DOMAIN_CRYPTO, 4, req, &r);
	if (st < 0)
		fprintf(stderr, "umbral: crypto domain of node %s is not answering: %s\n", n->node,
			strerror(-st));
	else
		fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
	buf_free(&r);
	rc = node_exit_code(st);
	if (rc == EXIT_OK)
		rc = node_change(n, 3, req + 1, false, comment);
	free(req[3]);
	return rc;
}
