// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/tools/wg_live.c — a hand-run check of wg/ against a real device (not in
 * `make unit`; see live.sh). Not built into libumbral: it lives below wg/.
 *   wg_live pub KEYFILE                       prints the public key (makes KEYFILE if absent)
 *   wg_live up IFNAME UAPI KEYFILE PORT PEERPUB ENDPOINT|- ALLOWED...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "wg/key.h"
#include "wg/wg.h"

static int
load_or_make(const char *path, uint8_t *priv)
{
	int ret = wg_key_load(path, priv);

	if (ret == -ENOENT && (ret = wg_key_generate(priv)) == 0)
		ret = wg_key_save(path, priv);
	return ret;
}

static void
print_state(const struct wg_dev_state *s)
{
	char b[64];

	key_to_base64(b, s->pubkey);
	printf("device pubkey %s port %u fwmark %#x peers %zu\n", s->has_pubkey ? b : "-",
	       s->listen_port, s->fwmark, s->npeers);
	for (size_t i = 0; i < s->npeers; i++) {
		key_to_base64(b, s->peers[i].pubkey);
		printf("  peer %s allowed %zu keepalive %u rx %llu tx %llu", b, s->peers[i].nallowed,
		       s->peers[i].keepalive, (unsigned long long)s->peers[i].rx_bytes,
		       (unsigned long long)s->peers[i].tx_bytes);
		if (s->peers[i].has_endpoint)
			printf(" endpoint %s", endpoint_format(&s->peers[i].endpoint, b, sizeof(b)));
		printf("\n");
	}
}

static int
up(int argc, char **argv, uint8_t *priv)
{
	struct errbuf eb = {0};
	struct prefix allowed[16];
	struct wg_peer_conf peer = {.keepalive = 5, .allowed = allowed};
	struct wg_conf conf = {.privkey = priv, .fwmark = 0x30000, .peers = &peer, .npeers = 1};
	struct wg_dev_state st;
	struct wg *w;
	int ret;

	if (argc < 9 || argc - 8 > 16 || load_or_make(argv[4], priv) < 0 ||
	    key_from_base64(peer.pubkey, argv[6]) < 0)
		return 2;
	conf.listen_port = (uint16_t)atoi(argv[5]);
	if (strcmp(argv[7], "-") != 0) {
		peer.has_endpoint = true;
		if (endpoint_parse(argv[7], &peer.endpoint, "endpoint ", &eb) < 0)
			return 2;
	}
	for (int i = 8; i < argc; i++)
		if (prefix_parse(argv[i], &allowed[peer.nallowed++], "allowed ", &eb) < 0)
			return 2;
	if ((ret = wg_open(argv[2], 1420, argv[3], &w)) < 0) {
		fprintf(stderr, "wg_open: %s\n", strerror(-ret));
		return 1;
	}
	printf("backend %s pid %d alive %d\n", wg_backend(w), (int)wg_pid(w), wg_alive(w));
	/* Twice: the second must find nothing to change. */
	for (int i = 0; i < 2; i++)
		if ((ret = wg_set(w, &conf)) < 0) {
			fprintf(stderr, "wg_set: %s\n", strerror(-ret));
			return 1;
		}
	if ((ret = wg_get(w, &st)) < 0) {
		fprintf(stderr, "wg_get: %s\n", strerror(-ret));
		return 1;
	}
	print_state(&st);
	wg_state_free(&st);
	wg_close(w);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t *priv, pub[WG_KEY_LEN];
	char b[WG_KEY_B64_LEN];
	int ret = 2;

	if (sodium_init() < 0 || !(priv = sodium_malloc(WG_KEY_LEN)))
		return 1;
	log_init("wg_live", 1, 0);
	if (argc == 3 && strcmp(argv[1], "pub") == 0) {
		if (load_or_make(argv[2], priv) == 0 && wg_key_public(pub, priv) == 0) {
			key_to_base64(b, pub);
			printf("%s\n", b);
			ret = 0;
		}
	} else if (argc > 1 && strcmp(argv[1], "up") == 0) {
		ret = up(argc, argv, priv);
	} else {
		fprintf(stderr, "usage: wg_live pub KEYFILE | up IFNAME UAPI KEYFILE PORT PEERPUB ENDPOINT|- ALLOWED...\n");
	}
	sodium_free(priv);
	return ret;
}
