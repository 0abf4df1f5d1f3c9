// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/shell.c — the interactive shell. Changes are staged in a candidate
 * (each checked by crypto against the current policy plus what is already
 * staged), `show changes` lists them, `commit [-m TEXT] [confirm MINUTES]`
 * applies them to the three domains as one revision, `discard` drops them.
 * Everything else runs as the one-shot command line would.
 */
#include "cli/shell.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "core/ctlmsg.h"
#include "policy/edit.h"

#define LINE_WORDS_MAX 256
#define CAND_WORDS_MAX 2000

/* The candidate: staged edits as one argv, separated by ";" words. */
struct cand {
	char *words[CAND_WORDS_MAX];
	int n, edits;
	bool removals_only;
};

static struct node_ctx *cur_node; /* for completion, which gets no context */
static const struct shell_cfg *cur_cfg;
static unsigned idle_s;

static void
cand_clear(struct cand *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->words[i]);
	*c = (struct cand){.removals_only = true};
}

/* Appends argv as one more edit; 0 or -1 when it does not fit. */
static int
cand_push(struct cand *c, int argc, char **argv)
{
	if (c->n + argc + 1 > CAND_WORDS_MAX)
		return -1;
	if (c->n && !(c->words[c->n++] = strdup(";")))
		return -1;
	for (int i = 0; i < argc; i++)
		if (!(c->words[c->n++] = strdup(argv[i])))
			return -1;
	c->edits++;
	c->removals_only &= argc >= 2 && strcmp(argv[1], "del") == 0;
	return 0;
}

static void
cand_pop(struct cand *c, int argc)
{
	for (int i = 0; i < argc + (c->edits > 1); i++)
		free(c->words[--c->n]);
	c->edits--;
}

static void
cand_show(const struct cand *c)
{
	if (!c->edits) {
		printf("no uncommitted changes\n");
		return;
	}
	printf("+");
	for (int i = 0; i < c->n; i++) {
		if (strcmp(c->words[i], ";") == 0)
			printf("\n+");
		else
			printf(" %s", c->words[i]);
	}
	printf("\n");
}

/* Stages argv after crypto has checked the candidate with it. */
static void
stage(struct node_ctx *n, struct cand *c, int argc, char **argv)
{
	char **all;
	struct buf r;
	int st;

	if (cand_push(c, argc, argv) < 0) {
		fprintf(stderr, "umbral: the candidate is full: commit or discard first\n");
		return;
	}
	all = calloc((size_t)c->n + 1, sizeof(*all));
	if (!all) {
		cand_pop(c, argc);
		return;
	}
	all[0] = "--check";
	memcpy(all + 1, c->words, (size_t)c->n * sizeof(*all));
	buf_init(&r);
	st = node_ask(n, DOMAIN_CRYPTO, c->n + 1, all, &r);
	free(all);
	if (st != CTL_OK) {
		fputs(st < 0 ? "umbral: crypto is not answering\n" : buf_str(&r), stderr);
		cand_pop(c, argc);
	} else {
		printf("staged (%d uncommitted change%s; 'commit' applies them)\n", c->edits,
		       c->edits == 1 ? "" : "s");
	}
	buf_free(&r);
}

/* commit [-m TEXT] [confirm MINUTES] */
static void
commit(struct node_ctx *n, struct cand *c, int argc, char **argv)
{
	const char *comment = "";
	double saved = n->confirm_s;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
			comment = argv[++i];
		} else if (strcmp(argv[i], "confirm") == 0 && i + 1 < argc &&
			   (n->confirm_s = strtod(argv[i + 1], NULL) * 60) > 0) {
			i++;
		} else {
			fprintf(stderr,
				"umbral: commit: '%s': usage: commit [-m TEXT] "
				"[confirm MINUTES]\n",
				argv[i]);
			n->confirm_s = saved;
			return;
		}
	}
	if (!c->edits)
		printf("nothing to commit\n");
	else if (node_change(n, c->n, c->words, c->removals_only, comment) == EXIT_OK)
		cand_clear(c);
	n->confirm_s = saved;
}

static void
make_prompt(struct node_ctx *n, const struct cand *c, char *buf, size_t len)
{
	char *argv[] = {"revision"};
	struct buf r;

	buf_init(&r);
	if (node_ask(n, DOMAIN_RED, 1, argv, &r) == CTL_OK)
		snprintf(buf, len, "%s[r%lld%s]# ", n->node, strtoll(buf_str(&r), NULL, 10),
			 c->edits ? " *uncommitted*" : "");
	else
		snprintf(buf, len, "%s[?%s]# ", n->node, c->edits ? " *uncommitted*" : "");
	buf_free(&r);
}

/* --- completion: commands, their second words, site names */

static char **matches; /* candidates for the word being completed */
static size_t nmatches;

static void
match_add(const char *w, size_t len)
{
	char **t;

	for (size_t i = 0; i < nmatches; i++)
		if (strlen(matches[i]) == len && strncmp(matches[i], w, len) == 0)
			return;
	if (!(t = realloc(matches, (nmatches + 1) * sizeof(*t))))
		return;
	matches = t;
	if ((matches[nmatches] = strndup(w, len)))
		nmatches++;
}

static void
match_sites(void)
{
	char *argv[] = {"site", "list"};
	struct buf r;

	buf_init(&r);
	if (node_ask(cur_node, DOMAIN_RED, 2, argv, &r) == CTL_OK)
		for (const char *s = buf_str(&r); *s;
		     s += strcspn(s, "\n") + (s[strcspn(s, "\n")] != 0))
			match_add(s, strcspn(s, " \n"));
	buf_free(&r);
}

static void
match_commands(int nth, const char *first)
{
	static const char *const extra[] = {"commit", "discard", "exit",
					    "quit",   "help",	 "show changes"};

	for (size_t i = 0; i < cur_cfg->ncommands + 6; i++) {
		const char *w =
		    i < cur_cfg->ncommands ? cur_cfg->commands[i] : extra[i - cur_cfg->ncommands];
		size_t l1 = strcspn(w, " ");
		if (nth == 0)
			match_add(w, l1);
		else if (w[l1] && strlen(first) == l1 && strncmp(w, first, l1) == 0)
			match_add(w + l1 + 1, strlen(w + l1 + 1));
	}
}

static void
matches_free(void)
{
	for (size_t i = 0; i < nmatches; i++)
		free(matches[i]);
	free(matches);
	matches = NULL;
	nmatches = 0;
}

static char *
generate(const char *text, int state)
{
	static size_t next;

	if (!state)
		next = 0;
	while (next < nmatches) {
		const char *m = matches[next++];
		if (strncmp(m, text, strlen(text)) == 0)
			return strdup(m);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	char line[512], *w[LINE_WORDS_MAX];
	const char *why;
	int nw;

	(void)end;
	rl_attempted_completion_over = 1;
	snprintf(line, sizeof(line), "%.*s", start, rl_line_buffer);
	nw = script_split(line, w, LINE_WORDS_MAX, &why);
	if (nw < 0)
		return NULL;
	matches_free();
	if (nw <= 1)
		match_commands(nw, nw ? w[0] : "");
	else if ((strcmp(w[0], "site") == 0 && strcmp(w[1], "del") == 0 && nw == 2) ||
		 strcmp(w[nw - 1], "--site") == 0)
		match_sites();
	return rl_completion_matches(text, generate);
}

static void
idle_cb(int sig)
{
	static const char msg[] = "\numbral: session idle too long: closed\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EXIT_OK);
}

/* One line of the shell. Returns false to leave. */
static bool
shell_line(struct node_ctx *n, struct cand *c, char *line)
{
	char *argv[LINE_WORDS_MAX];
	const char *why = NULL;
	int argc = script_split(line, argv, LINE_WORDS_MAX, &why);

	if (argc < 0)
		fprintf(stderr, "umbral: %s\n", why);
	if (argc <= 0)
		return true;
	if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "quit") == 0)
		return false;
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0)
		cur_cfg->help();
	else if (argc == 2 && strcmp(argv[0], "show") == 0 && strcmp(argv[1], "changes") == 0)
		cand_show(c);
	else if (strcmp(argv[0], "commit") == 0)
		commit(n, c, argc, argv);
	else if (argc == 1 && strcmp(argv[0], "discard") == 0)
		cand_clear(c);
	else if (policy_edit_known(argc, argv))
		stage(n, c, argc, argv);
	else
		cur_cfg->run(cur_cfg->ctx, argc, argv);
	return true;
}

int
shell_run(struct node_ctx *n, const struct shell_cfg *cfg)
{
	struct cand c = {.removals_only = true};
	char prompt[128], *line;

	cur_node = n;
	cur_cfg = cfg;
	idle_s = cfg->idle_s;
	rl_attempted_completion_function = complete;
	signal(SIGALRM, idle_cb);
	printf("umbral shell on node %s: 'help' lists commands; changes are staged until "
	       "'commit'\n",
	       n->node);
	for (;;) {
		make_prompt(n, &c, prompt, sizeof(prompt));
		alarm(idle_s);
		line = readline(prompt);
		alarm(0);
		if (!line)
			break;
		if (*line)
			add_history(line);
		if (!shell_line(n, &c, line)) {
			free(line);
			break;
		}
		free(line);
		fflush(stdout);
	}
	if (c.edits)
		printf("%d uncommitted change%s discarded\n", c.edits, c.edits == 1 ? "" : "s");
	cand_clear(&c);
	matches_free();
	return EXIT_OK;
}
