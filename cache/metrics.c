/*
 * cache/metrics.c - what the cache counts and reports: hits, misses,
 * evictions and prefetch counters per shard and policy, the answers', the
 * read-latency histogram (log buckets, four per power of two of ns), their
 * reset, and the parser of sizes such as "512M" (docs/CACHE.md, PATHS.md
 * "stats.json").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/cache_int.h"

static unsigned lat_bucket(uint64_t ns)
{
	unsigned lg, sub;

	if (ns < 4)
		return (unsigned)ns;
	lg = 63u - (unsigned)__builtin_clzll(ns);
	sub = (unsigned)(ns >> (lg - 2)) & 3u;
	return lg * 4 + sub < LAT_BUCKETS ? lg * 4 + sub : LAT_BUCKETS - 1;
}

/* The upper edge of a bucket, in ns. */
static double lat_edge(unsigned b)
{
	unsigned lg = b / 4, sub = b % 4;

	if (b < 4)
		return b + 1;
	return (double)((4ull + sub + 1) << (lg - 2));
}

void gdb_cache_note_latency(gdb_cache *c, uint64_t ns)
{
	__atomic_add_fetch(&c->lat[lat_bucket(ns)], 1, __ATOMIC_RELAXED);
}

static void add_counters(gdb_cache_counters *a, const gdb_cache_counters *b)
{
	a->hits += b->hits;
	a->misses += b->misses;
	a->evictions += b->evictions;
	a->bytes_decoded += b->bytes_decoded;
	a->prefetch_issued += b->prefetch_issued;
	a->prefetch_used += b->prefetch_used;
	a->prefetch_wasted += b->prefetch_wasted;
}

void gdb_cache_stats_get(gdb_cache *c, gdb_cache_stats *out)
{
	uint64_t lat[LAT_BUCKETS], total = 0;
	double *pct[3];
	const double q[3] = {0.50, 0.95, 0.99};

	memset(out, 0, sizeof(*out));
	snprintf(out->policy, sizeof(out->policy), "%s",
		 __atomic_load_n(&c->policy, __ATOMIC_ACQUIRE)->name);
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->lock);
		for (unsigned p = 0; p < GDB_NPOLICIES; p++) {
			add_counters(&out->per_policy[p], &sh->pc[p]);
			add_counters(&out->total, &sh->pc[p]);
		}
		out->errors += sh->errors;
		out->uncached += sh->uncached;
		out->passed += sh->passed;
		out->parts += sh->parts;
		out->part_bases += sh->part_bases;
		pthread_mutex_unlock(&sh->lock);
	}
	out->budget_bytes = __atomic_load_n(&c->budget, __ATOMIC_RELAXED);
	out->resident_bytes = __atomic_load_n(&c->resident, __ATOMIC_RELAXED);
	out->pinned_bytes = __atomic_load_n(&c->pinned, __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->ans.lock);
	out->answer_bytes = c->ans.bytes;
	out->answer_evictions = c->ans.evictions;
	out->answer_uncached = c->ans.uncached;
	pthread_mutex_unlock(&c->ans.lock);
	out->prefetch_enabled =
	    __atomic_load_n(&c->pf_enabled, __ATOMIC_RELAXED);
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		lat[b] = __atomic_load_n(&c->lat[b], __ATOMIC_RELAXED);
		total += lat[b];
	}
	out->lat_count = total;
	pct[0] = &out->lat_p50_us;
	pct[1] = &out->lat_p95_us;
	pct[2] = &out->lat_p99_us;
	for (int k = 0; k < 3 && total; k++) {
		uint64_t want = (uint64_t)(q[k] * (double)total), seen = 0;
		for (unsigned b = 0; b < LAT_BUCKETS; b++) {
			seen += lat[b];
			if (seen > want || b == LAT_BUCKETS - 1) {
				*pct[k] = lat_edge(b) / 1000.0;
				break;
			}
		}
	}
}

void gdb_cache_stats_reset(gdb_cache *c)
{
	for (uint32_t i = 0; i < NSHARDS; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_lock(&sh->lock);
		memset(sh->pc, 0, sizeof(sh->pc));
		sh->errors = sh->uncached = sh->passed = sh->parts = 0;
		sh->part_bases = 0;
		pthread_mutex_unlock(&sh->lock);
	}
	for (unsigned b = 0; b < LAT_BUCKETS; b++)
		__atomic_store_n(&c->lat[b], 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->ans.lock);
	c->ans.evictions = c->ans.uncached = 0;
	pthread_mutex_unlock(&c->ans.lock);
}

int gdb_cache_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ull << 40;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*bytes = v * mul;
	return 0;
}
