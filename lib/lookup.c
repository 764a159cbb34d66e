/* lookup.c -- ring-lookup's output: one record per key, JSON lines or TSV
 *
 * The per-key path (lookup_key) hashes, routes, escapes the key and copies
 * prepared bytes into one buffer that is written out in large blocks; the
 * buffer always has room for a maximal record before a key is written, so
 * no record is ever split across a failed write.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hash.h"
#include "lookup.h"

#define OUT_SIZE (1024 * 1024)

static const char *const field_names[] = {
	"key", "hash", "shard", "state", "primary", "primary_conninfo",
	"replicas", "reserves", "servers", NULL,
};

int
lookup_field_parse(const char *name)
{
	int i;

	for (i = 0; field_names[i] != NULL; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	return -1;
}

const char *
lookup_field_names(void)
{
	return "key, hash, shard, state, primary, primary_conninfo, replicas, reserves, servers";
}

int
lookup_field_in_mode(int field, int multi_master)
{
	if (field == FIELD_ALL || field == FIELD_KEY || field == FIELD_HASH)
		return 1;
	return multi_master ? field == FIELD_SERVERS : field != FIELD_SERVERS;
}

/* A growable string for the parts prepared once per shard or server. */
struct sbuf {
	char *data;
	size_t len, cap;
};

static void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->data = xrealloc(sb->data, sb->cap);
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void
sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0: no
 * overlong forms, no surrogates, nothing past U+10FFFF, as RFC 3629 says.
 */
static size_t
utf8_length(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x3f >> (len - 1));
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Write s as a JSON string body (no quotes) at out, which must have 6 * n
 * bytes of room.  Returns the bytes written, or (size_t)-1 for invalid UTF-8.
 */
static size_t
json_escape(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *o = out;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			*o++ = (char)c;
			i++;
		} else if (c >= 0x80) {
			size_t len = utf8_length(p + i, n - i);

			if (len == 0)
				return (size_t)-1;
			memcpy(o, p + i, len);
			o += len;
			i += len;
		} else {
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hex[c >> 4];
				o[4] = hex[c & 0xf];
				o += 5;
			}
			i++;
		}
	}
	return (size_t)(o - out);
}

/* TSV escaping (see lookup.h); out needs 2 * n bytes of room. */
static size_t
tsv_escape(char *out, const char *s, size_t n)
{
	char *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			*o++ = '\\';
			*o++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
		} else {
			*o++ = c;
		}
	}
	return (size_t)(o - out);
}

/* Text from the topology (valid UTF-8: jansson checked it) in the format. */
static void
sb_value(struct sbuf *sb, enum lookup_format format, const char *s)
{
	size_t n = strlen(s);
	char *tmp = xmalloc(6 * n + 3);
	size_t len;

	if (format == LOOKUP_JSON) {
		tmp[0] = '"';
		len = json_escape(tmp + 1, s, n);
		if (len == (size_t)-1)
			len = 0;
		tmp[len + 1] = '"';
		len += 2;
	} else {
		len = tsv_escape(tmp, s, n);
	}
	sb_add(sb, tmp, len);
	free(tmp);
}

/* A server as a list element: {"id":..,"conninfo":..} in json, its id in tsv. */
static void
sb_server(struct sbuf *sb, enum lookup_format format, const struct topology_server *s)
{
	if (format == LOOKUP_TSV) {
		sb_value(sb, format, s->id);
		return;
	}
	sb_str(sb, "{\"id\":");
	sb_value(sb, format, s->id);
	sb_str(sb, ",\"conninfo\":");
	sb_value(sb, format, s->conninfo);
	sb_str(sb, "}");
}

/*
 * Each shard's servers in server order: shard s has member[first[s]] ...
 * member[first[s + 1] - 1].  Built once, so preparing 1000 shards' records
 * reads each shard's few servers, not every server for every field.
 */
struct members {
	size_t *first;
	size_t *member;
};

static void
members_build(struct members *m, const struct topology *topo)
{
	size_t *next = xcalloc(topo->shard_count + 1, sizeof(*next));
	size_t i;

	m->first = xcalloc(topo->shard_count + 1, sizeof(*m->first));
	m->member = xcalloc(topo->server_count ? topo->server_count : 1, sizeof(*m->member));
	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			m->first[topo->servers[i].shard + 1]++;
	for (i = 0; i < topo->shard_count; i++)
		m->first[i + 1] += m->first[i];
	memcpy(next, m->first, topo->shard_count * sizeof(*next));
	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			m->member[next[topo->servers[i].shard]++] = i;
	free(next);
}

static void
members_free(struct members *m)
{
	free(m->first);
	free(m->member);
}

/* The shard's primary (its first, as topology_shard_primary), or -1. */
static int
members_primary(const struct members *m, const struct topology *topo, int shard)
{
	size_t k;

	for (k = m->first[shard]; k < m->first[shard + 1]; k++)
		if (topo->servers[m->member[k]].role == ROLE_PRIMARY)
			return (int)m->member[k];
	return -1;
}

/* The shard's servers with role, as a JSON array or comma-separated ids. */
static void
sb_members(struct sbuf *sb, enum lookup_format format, const struct topology *topo,
    const struct members *m, int shard, enum server_role role)
{
	size_t k, n = 0;

	if (format == LOOKUP_JSON)
		sb_str(sb, "[");
	for (k = m->first[shard]; k < m->first[shard + 1]; k++) {
		const struct topology_server *s = &topo->servers[m->member[k]];

		if (s->role != role)
			continue;
		if (n++ > 0)
			sb_str(sb, ",");
		sb_server(sb, format, s);
	}
	if (format == LOOKUP_JSON)
		sb_str(sb, "]");
}

static void
sb_shard_field(struct sbuf *sb, enum lookup_format format, const struct topology *topo,
    const struct members *m, int shard, int field)
{
	int primary = members_primary(m, topo, shard);
	const char *none = format == LOOKUP_JSON ? "null" : "";

	switch (field) {
	case FIELD_SHARD:
		sb_value(sb, format, topo->shards[shard].id);
		break;
	case FIELD_STATE:
		sb_value(sb, format, shard_state_name(topo->shards[shard].state));
		break;
	case FIELD_PRIMARY:
		if (primary < 0)
			sb_str(sb, none);
		else
			sb_server(sb, format, &topo->servers[primary]);
		break;
	case FIELD_PRIMARY_CONNINFO:
		if (primary < 0)
			sb_str(sb, none);
		else
			sb_value(sb, format, topo->servers[primary].conninfo);
		break;
	case FIELD_REPLICAS:
		sb_members(sb, format, topo, m, shard, ROLE_REPLICA);
		break;
	case FIELD_RESERVES:
		sb_members(sb, format, topo, m, shard, ROLE_RESERVE);
		break;
	}
}

/* What follows the hash in a shard's record, or its one selected field. */
static void
shard_tail(struct sbuf *sb, enum lookup_format format, const struct topology *topo,
    const struct members *m, int shard, int field)
{
	static const int fields[] = {
		FIELD_SHARD, FIELD_STATE, FIELD_PRIMARY, FIELD_PRIMARY_CONNINFO,
		FIELD_REPLICAS, FIELD_RESERVES,
	};
	size_t i;

	if (field != FIELD_ALL) {
		sb_shard_field(sb, format, topo, m, shard, field);
		sb_str(sb, "\n");
		return;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* The primary's conninfo is inside its object in JSON. */
		if (format == LOOKUP_JSON && fields[i] == FIELD_PRIMARY_CONNINFO)
			continue;
		if (format == LOOKUP_JSON) {
			sb_str(sb, ",\"");
			sb_str(sb, field_names[fields[i]]);
			sb_str(sb, "\":");
		} else {
			sb_str(sb, "\t");
		}
		sb_shard_field(sb, format, topo, m, shard, fields[i]);
	}
	sb_str(sb, format == LOOKUP_JSON ? "}\n" : "\n");
}

void
lookup_writer_init(struct lookup_writer *w, const struct router *router,
    enum lookup_format format, int field, FILE *out)
{
	const struct topology *topo = router->topo;
	struct members m;
	size_t i, n;

	memset(w, 0, sizeof(*w));
	w->router = router;
	w->format = format;
	w->field = field;
	w->seed = topo->hash_seed;
	w->out = out;
	n = router->multi_master ? topo->server_count : topo->shard_count;
	w->tail = xcalloc(n ? n : 1, sizeof(*w->tail));
	w->tail_len = xcalloc(n ? n : 1, sizeof(*w->tail_len));
	members_build(&m, topo);
	for (i = 0; i < n; i++) {
		struct sbuf sb = { NULL, 0, 0 };

		if (router->multi_master)
			sb_server(&sb, format, &topo->servers[i]);
		else
			shard_tail(&sb, format, topo, &m, (int)i, field);
		/* Padding, so a short part can be copied as one 16-byte block. */
		sb_add(&sb, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		sb.len -= 16;
		w->tail[i] = sb.data;
		w->tail_len[i] = sb.len;
	}
	members_free(&m);
	/*
	 * Room after the escaped key: the hash and punctuation (64 bytes), and
	 * the longest shard part, or width of the longest server elements.
	 */
	for (i = 0; i < n; i++)
		if (w->tail_len[i] > w->tail_max)
			w->tail_max = w->tail_len[i];
	if (router->multi_master)
		w->tail_max = (w->tail_max + 1) * router->width;
	w->tail_max += 64;
	w->cap = OUT_SIZE + w->tail_max;
	w->buf = xmalloc(w->cap);
}

int
lookup_flush(struct lookup_writer *w)
{
	if (w->len > 0 && fwrite(w->buf, 1, w->len, w->out) != w->len) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	w->len = 0;
	return 0;
}

static char *
put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/*
 * A prepared part: short ones (a shard id and a newline) are copied as one
 * fixed 16-byte block, which compiles to two moves instead of a call; the
 * parts are padded and the buffer always has tail_max bytes of room.
 */
static char *
put_part(char *o, const char *s, size_t n)
{
	if (n <= 16) {
		memcpy(o, s, 16);
		return o + n;
	}
	memcpy(o, s, n);
	return o + n;
}

#define PUT_LITERAL(o, lit) put((o), (lit), sizeof(lit) - 1)

/*
 * Eight hexadecimal digits of x as eight bytes, most significant digit
 * first in memory: each nibble spread into its own byte, then turned into
 * '0'-'9' or 'a'-'f' all at once, instead of a table look-up per digit.
 */
static inline uint64_t
hex8(uint32_t x)
{
	uint64_t v = x, letters;

	v = ((v & 0xffff0000) << 16) | (v & 0xffff);
	v = ((v & UINT64_C(0x0000ff000000ff00)) << 8) | (v & UINT64_C(0x000000ff000000ff));
	v = ((v & UINT64_C(0x00f000f000f000f0)) << 4) | (v & UINT64_C(0x000f000f000f000f));
	/* Byte k now holds nibble k; 1 in the bytes whose nibble is 10 or more. */
	letters = ((v + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	v += UINT64_C(0x3030303030303030) + letters * ('a' - '0' - 10);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static char *
put_hash(char *o, uint64_t hash)
{
	uint64_t hi = hex8((uint32_t)(hash >> 32)), lo = hex8((uint32_t)hash);

	memcpy(o, &hi, 8);
	memcpy(o + 8, &lo, 8);
	return o + 16;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Non-zero when some byte of x is zero (exact as to whether, not which). */
static inline uint64_t
has_zero(uint64_t x)
{
	return (x - ONES) & ~x & HIGHS;
}

/*
 * Non-zero when some byte of x would need escaping: in JSON a control
 * character, '"', '\\' or a byte of a multibyte character (checked as
 * UTF-8 by json_escape); in TSV '\\', tab, newline or carriage return.
 */
static inline uint64_t
needs_escape(uint64_t x, int json)
{
	if (json)
		return ((x - ONES * 0x20) & ~x & HIGHS) | (x & HIGHS) |
		    has_zero(x ^ (ONES * '"')) | has_zero(x ^ (ONES * '\\'));
	return has_zero(x ^ (ONES * '\\')) | has_zero(x ^ (ONES * '\t')) |
	    has_zero(x ^ (ONES * '\n')) | has_zero(x ^ (ONES * '\r'));
}

/*
 * The key in the format; NULL when JSON cannot hold it.  Most keys need no
 * escaping: they are copied eight bytes at a time while no byte of the
 * eight needs it, and the escaping loops take over from the first that may.
 */
static inline char *
put_key(char *o, int json, const char *key, size_t len)
{
	size_t n, i = 0;
	uint64_t x;

	while (i + 8 <= len) {
		memcpy(&x, key + i, 8);
		if (needs_escape(x, json))
			break;
		memcpy(o + i, &x, 8);
		i += 8;
	}
	/* The last few bytes as one window ending where the key ends. */
	if (i < len && len >= 8 && i + 8 > len) {
		memcpy(&x, key + len - 8, 8);
		if (!needs_escape(x, json)) {
			memcpy(o + len - 8, &x, 8);
			return o + len;
		}
	}
	o += i;
	if (!json)
		return o + tsv_escape(o, key + i, len - i);
	n = json_escape(o, key + i, len - i);
	return n == (size_t)-1 ? NULL : o + n;
}

/* A multi-master preference list: a JSON array or comma-separated ids. */
static char *
put_servers(const struct lookup_writer *w, char *o, size_t point)
{
	const uint32_t *servers = router_servers(w->router, point);
	size_t i;

	if (w->format == LOOKUP_JSON)
		*o++ = '[';
	for (i = 0; i < w->router->width; i++) {
		if (i > 0)
			*o++ = ',';
		o = put_part(o, w->tail[servers[i]], w->tail_len[servers[i]]);
	}
	if (w->format == LOOKUP_JSON)
		*o++ = ']';
	return o;
}

/*
 * Room for records of keys totalling len bytes, flushing or growing the
 * buffer: escaping grows a key at most sixfold.
 */
static int
reserve_room(struct lookup_writer *w, size_t len)
{
	size_t need = 6 * len + w->tail_max;

	if (w->len + need <= w->cap)
		return 0;
	if (lookup_flush(w) != 0)
		return -1;
	if (need > w->cap) {
		w->cap = need;
		w->buf = xrealloc(w->buf, w->cap);
	}
	return 0;
}

/*
 * Append the record of a key whose hash and answer (router_find) are known;
 * room is reserved.  Returns 0, or -1 when JSON cannot hold the key.
 */
static int
put_record(struct lookup_writer *w, const char *key, size_t len, uint64_t hash,
    uint32_t answer)
{
	int json = w->format == LOOKUP_JSON;
	char *o = w->buf + w->len;

	switch (w->field) {
	case FIELD_ALL:
		if (json)
			o = PUT_LITERAL(o, "{\"key\":\"");
		if ((o = put_key(o, json, key, len)) == NULL)
			return -1;
		o = json ? PUT_LITERAL(o, "\",\"hash\":\"") : PUT_LITERAL(o, "\t");
		o = put_hash(o, hash);
		if (json)
			*o++ = '"';
		if (!w->router->multi_master) {
			o = put_part(o, w->tail[answer], w->tail_len[answer]);
			break;
		}
		o = json ? PUT_LITERAL(o, ",\"servers\":") : PUT_LITERAL(o, "\t");
		o = put_servers(w, o, answer);
		o = json ? PUT_LITERAL(o, "}\n") : PUT_LITERAL(o, "\n");
		break;
	case FIELD_KEY:
		if (json)
			*o++ = '"';
		if ((o = put_key(o, json, key, len)) == NULL)
			return -1;
		o = json ? PUT_LITERAL(o, "\"\n") : PUT_LITERAL(o, "\n");
		break;
	case FIELD_HASH:
		if (json)
			*o++ = '"';
		o = put_hash(o, hash);
		o = json ? PUT_LITERAL(o, "\"\n") : PUT_LITERAL(o, "\n");
		break;
	case FIELD_SERVERS:
		o = put_servers(w, o, answer);
		*o++ = '\n';
		break;
	default:
		o = put_part(o, w->tail[answer], w->tail_len[answer]);
	}
	w->len = (size_t)(o - w->buf);
	return 0;
}

/*
 * A bucket entry to the answer: the entry itself, or the answer of the
 * point the search finds (its tokens were prefetched a loop earlier).
 */
static inline uint32_t
resolve(const struct router *r, uint32_t entry, uint64_t hash)
{
	if (!(entry & ROUTE_SEARCH))
		return entry;
	return r->answer[router_search(r, entry & ~ROUTE_SEARCH, hash)];
}

/*
 * The batch's records when each is one prepared part (a shard field): the
 * common case for shell use, kept to a copy per key.  Room is reserved.
 */
static void
put_parts(struct lookup_writer *w, const uint64_t *hash, const uint32_t *entry, int n)
{
	char *o = w->buf + w->len;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t a = resolve(w->router, entry[i], hash[i]);

		o = put_part(o, w->tail[a], w->tail_len[a]);
	}
	w->len = (size_t)(o - w->buf);
}

/*
 * The batch's whole records in shard modes: put_record's FIELD_ALL case
 * without its per-key dispatch.  Room is reserved.  Returns 0, or -1 with
 * *done at the key JSON cannot hold.
 */
static inline int
put_shard_records_as(struct lookup_writer *w, const char *const *keys, const size_t *lens,
    const uint64_t *hash, const uint32_t *entry, int n, int *done, int json)
{
	char *o = w->buf + w->len;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t a = resolve(w->router, entry[i], hash[i]);
		char *start = o;

		if (json)
			o = PUT_LITERAL(o, "{\"key\":\"");
		if ((o = put_key(o, json, keys[i], lens[i])) == NULL) {
			w->len = (size_t)(start - w->buf);
			*done = i;
			return -1;
		}
		o = json ? PUT_LITERAL(o, "\",\"hash\":\"") : PUT_LITERAL(o, "\t");
		o = put_hash(o, hash[i]);
		if (json)
			*o++ = '"';
		o = put_part(o, w->tail[a], w->tail_len[a]);
	}
	w->len = (size_t)(o - w->buf);
	*done = n;
	return 0;
}

/* One copy of the loop per format, so that neither tests the format per key. */
static int
put_shard_records(struct lookup_writer *w, const char *const *keys, const size_t *lens,
    const uint64_t *hash, const uint32_t *entry, int n, int *done)
{
	if (w->format == LOOKUP_JSON)
		return put_shard_records_as(w, keys, lens, hash, entry, n, done, 1);
	return put_shard_records_as(w, keys, lens, hash, entry, n, done, 0);
}

int
lookup_key(struct lookup_writer *w, const char *key, size_t len)
{
	uint64_t hash;

	if (reserve_room(w, len) != 0)
		return -2;
	hash = hash_key(key, len, w->seed);
	return put_record(w, key, len, hash, router_find(w->router, hash));
}

/*
 * Keys in batches: every hash first, with its bucket prefetched, then every
 * bucket entry, prefetching the tokens of those that need a search, then
 * every record, resolving its entry as it goes.  A lone key waits on each
 * memory access in turn; a batch has its accesses in flight together,
 * which is what makes large rings nearly as fast as small ones.
 */
int
lookup_keys(struct lookup_writer *w, const char *const *keys, const size_t *lens, int n,
    int *done)
{
	uint64_t hash[LOOKUP_BATCH];
	uint32_t entry[LOOKUP_BATCH];
	size_t room = 0;
	int i, rc;

	*done = 0;
	if (n > LOOKUP_BATCH)
		n = LOOKUP_BATCH;
	for (i = 0; i < n; i++) {
		hash[i] = hash_key(keys[i], lens[i], w->seed);
		__builtin_prefetch(router_bucket(w->router, hash[i]));
		room += lens[i];
	}
	/* Buckets holding tokens need a search: start their loads first. */
	for (i = 0; i < n; i++) {
		entry[i] = *router_bucket(w->router, hash[i]);
		if (entry[i] & ROUTE_SEARCH)
			__builtin_prefetch(&w->router->tokens[entry[i] & ~ROUTE_SEARCH]);
	}
	if (reserve_room(w, room + (size_t)n * (w->tail_max / 6 + 1)) != 0)
		return -2;
	if (!w->router->multi_master && w->field > FIELD_HASH) {
		put_parts(w, hash, entry, n);
		*done = n;
		return 0;
	}
	if (!w->router->multi_master && w->field == FIELD_ALL)
		return put_shard_records(w, keys, lens, hash, entry, n, done);
	for (i = 0; i < n; i++) {
		if ((rc = put_record(w, keys[i], lens[i], hash[i],
		    resolve(w->router, entry[i], hash[i]))) != 0)
			return rc;
		(*done)++;
	}
	return 0;
}

void
lookup_writer_free(struct lookup_writer *w)
{
	size_t i, n;

	n = w->router->multi_master ? w->router->topo->server_count : w->router->topo->shard_count;
	for (i = 0; i < n; i++)
		free(w->tail[i]);
	free(w->tail);
	free(w->tail_len);
	free(w->buf);
}
