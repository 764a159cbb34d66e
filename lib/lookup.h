/* lookup.h -- ring-lookup's output: one record per key, JSON lines or TSV
 *
 * Everything about a key's answer except the key and its hash depends only
 * on the shard (or, in multi-master mode, the servers) it routes to, so it
 * is rendered once per shard or server when the writer is set up, and a
 * lookup appends the key, the hash and those prepared bytes to one large
 * output buffer.  Nothing is allocated per key.
 *
 * Records (man/ring-lookup.1 is the reference):
 *   json, shard modes:  {"key":K,"hash":H,"shard":S,"state":T,
 *                        "primary":{"id":I,"conninfo":C}|null,
 *                        "replicas":[{"id":I,"conninfo":C}...],"reserves":[...]}
 *   json, multi-master: {"key":K,"hash":H,"servers":[{"id":I,"conninfo":C}...]}
 *   tsv: the same fields in that order, tab-separated, lists as
 *        comma-separated ids, a missing primary as an empty field; "\",
 *        tab, newline and carriage return in a value are written as "\\",
 *        "\t", "\n" and "\r".
 * With a field selected, only that field's value is written per line (JSON
 * text in json format, the TSV text in tsv format).
 */
#ifndef SHARDKIT_LOOKUP_H
#define SHARDKIT_LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "route.h"

enum lookup_format { LOOKUP_JSON, LOOKUP_TSV };

enum lookup_field {
	FIELD_ALL = -1,
	FIELD_KEY,
	FIELD_HASH,
	FIELD_SHARD,
	FIELD_STATE,
	FIELD_PRIMARY,
	FIELD_PRIMARY_CONNINFO,
	FIELD_REPLICAS,
	FIELD_RESERVES,
	FIELD_SERVERS,
};

/* A field name to its value, or -1 when unknown. */
int lookup_field_parse(const char *name);
/* "key, hash, ..." for messages. */
const char *lookup_field_names(void);
/* 1 when field exists in the mode: servers only in multi-master, shard fields only outside it. */
int lookup_field_in_mode(int field, int multi_master);

struct lookup_writer {
	const struct router *router;
	enum lookup_format format;
	int field;
	uint64_t seed;
	FILE *out;
	char *buf;
	size_t len, cap;
	char **tail;            /* per shard: the record after the hash */
	size_t *tail_len;
	char **piece;           /* multi-master, per server: its list element */
	size_t *piece_len;
	size_t tail_max;        /* longest record part after the key, in bytes */
};

/* Prepare a writer to out over router (borrowed); free with lookup_writer_free. */
void lookup_writer_init(struct lookup_writer *w, const struct router *router,
    enum lookup_format format, int field, FILE *out);

/*
 * Route key and append its record.  Returns 0; -1 when the key cannot be
 * written in JSON because it is not valid UTF-8 (nothing is appended); -2
 * when writing out the buffer failed (errno set).
 */
int lookup_key(struct lookup_writer *w, const char *key, size_t len);

/*
 * The same for n keys (at most LOOKUP_BATCH), overlapping their memory
 * accesses.  *done is the number of keys whose records were appended; on
 * -1 keys[*done] is the one JSON cannot hold.
 */
#define LOOKUP_BATCH 32
int lookup_keys(struct lookup_writer *w, const char *const *keys, const size_t *lens, int n,
    int *done);

/* Write what is buffered.  Returns 0, or -1 with errno set. */
int lookup_flush(struct lookup_writer *w);

void lookup_writer_free(struct lookup_writer *w);

#endif
