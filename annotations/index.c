/*
 * annotations/index.c - the builder's second half: once every line is in,
 * resolve Parents to groups, order groups by ID and lines by (contig,
 * start, input order), build the parent/child tables and the interval
 * index, and write the sections (docs/FORMAT.md "Annotation sets").
 *
 * The interval index is an implicit augmented interval tree, the layout
 * of Heng Li's cgranges/iitree: the array of features sorted by start is
 * itself a balanced binary tree in in-order (element i is a node at level
 * = the number of trailing 1 bits of i; its children are i -/+ 2^(level-1)),
 * and each element also stores the largest end in its subtree. It costs one
 * 8-byte field per feature, needs no pointers (so it is used in place in
 * the store's mapping), builds in O(n) after the sort, and answers an
 * overlap query in O(log n + hits), returning hits in index order.
 * Nodes past the end of a contig's array are "imaginary": their maximum
 * is that of the last real subtree, which the build carries up level by
 * level (`last`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "annotations/annot_int.h"

uint32_t annot_tree_build(const int64_t *end, uint64_t n, int64_t *max)
{
	uint64_t last_i = 0;
	int64_t last = 0;
	uint32_t k;

	if (n == 0)
		return 0;
	for (uint64_t i = 0; i < n; i += 2) {
		last_i = i;
		last = max[i] = end[i];
	}
	for (k = 1; (uint64_t)1 << k <= n; k++) {
		uint64_t x = (uint64_t)1 << (k - 1), step = x << 2;
		for (uint64_t i = (x << 1) - 1; i < n; i += step) {
			int64_t l = max[i - x],
				r = i + x < n ? max[i + x] : last;
			int64_t e = end[i];
			e = e > l ? e : l;
			max[i] = e > r ? e : r;
		}
		/* last_i climbs to its parent: left children add x */
		last_i = (last_i >> k & 1) ? last_i - x : last_i + x;
		if (last_i < n && max[last_i] > last)
			last = max[last_i];
	}
	return k - 1;
}

/* ---- Parents ---- */

static int missing_parent(const gdb_annot_builder *b, const annot_bline *l,
			  uint32_t str, char *err, size_t errlen)
{
	gdb_seterr(err, errlen,
		   "%s:%llu: Parent '%s' never appears as an ID "
		   "(--allow-orphans keeps the line without the link)",
		   b->file, (unsigned long long)l->lineno,
		   annot_bstr(b, b->tab[str].off));
	return GDB_EFORMAT;
}

/* Parent refs: tab indexes -> group indexes, dropped ones removed. */
static int resolve_parents(gdb_annot_builder *b, char *err, size_t errlen)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < b->nlines; i++) {
		annot_bline *l = &b->lines[i];
		uint32_t first = (uint32_t)w;
		for (uint32_t k = 0; k < l->npar; k++) {
			uint32_t str = b->pref[l->pfirst + k], g;
			uint64_t key = (uint64_t)str << 32 | l->ref;
			uint64_t j = (key * 0x9e3779b97f4a7c15ull) >> 20 &
				     (b->capgh - 1);
			while (b->gval && b->gval[j] && b->gkey[j] != key)
				j = (j + 1) & (b->capgh - 1);
			g = b->gval && b->gval[j] ? b->gval[j] - 1
						  : b->tab[str].group;
			if (g == ANNOT_NONE && !b->tab[str].skipped &&
			    !(b->flags & GDB_ANNOT_ALLOW_ORPHANS))
				return missing_parent(b, l, str, err, errlen);
			if (g == ANNOT_NONE) {
				b->st.orphans++;
				continue;
			}
			b->pref[w++] = g;
		}
		if (w - first > 0xffff) {
			gdb_seterr(err, errlen,
				   "%s:%llu: more than 65535 "
				   "parents",
				   b->file, (unsigned long long)l->lineno);
			return GDB_EFORMAT;
		}
		l->pfirst = first;
		l->npar = (uint32_t)w - first;
	}
	b->npref = w;
	return 0;
}

/* ---- contigs and groups in their final order ---- */

static int assign_slots(gdb_annot_builder *b)
{
	b->slot_of_ref = malloc((b->nref ? b->nref : 1) * sizeof(uint32_t));
	if (!b->slot_of_ref)
		return -ENOMEM;
	for (uint32_t r = 0; r < b->nref; r++)
		b->slot_of_ref[r] = ANNOT_NONE;
	for (uint64_t i = 0; i < b->nlines; i++)
		b->slot_of_ref[b->lines[i].ref] = 0;
	for (uint32_t r = 0; r < b->nref; r++)
		if (b->slot_of_ref[r] == 0)
			b->slot_of_ref[r] = b->nslot++;
	for (uint64_t i = 0; i < b->nlines; i++)
		b->lines[i].ref = b->slot_of_ref[b->lines[i].ref];
	for (uint32_t g = 0; g < b->ngroups; g++) {
		annot_bgroup *gr = &b->groups[g];
		gr->ref = b->slot_of_ref[gr->ref];
		if (!gr->has_lines) {
			gr->beg = gr->vbeg;
			gr->end = gr->vend;
		}
	}
	return 0;
}

static int group_cmp(const void *x, const void *y, void *arg)
{
	const gdb_annot_builder *b = arg;
	const annot_bgroup *g = &b->groups[*(const uint32_t *)x];
	const annot_bgroup *h = &b->groups[*(const uint32_t *)y];
	int c = strcmp(annot_bstr(b, g->id), annot_bstr(b, h->id));

	if (c)
		return c;
	return g->ref < h->ref ? -1 : g->ref > h->ref;
}

static uint32_t remap(const uint32_t *map, uint32_t g)
{
	return g == ANNOT_NONE ? g : map[g];
}

/* Groups sorted by (ID, contig); every group reference renumbered. */
static int sort_groups(gdb_annot_builder *b)
{
	uint32_t n = b->ngroups, *perm = malloc((n ? n : 1) * 4);
	uint32_t *map = malloc((n ? n : 1) * 4);
	annot_bgroup *ng = malloc((n ? n : 1) * sizeof(*ng));

	if (!perm || !map || !ng) {
		free(perm);
		free(map);
		free(ng);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	qsort_r(perm, n, 4, group_cmp, b);
	for (uint32_t i = 0; i < n; i++) {
		map[perm[i]] = i;
		ng[i] = b->groups[perm[i]];
	}
	for (uint32_t i = 0; i < n; i++)
		ng[i].gparent = remap(map, ng[i].gparent);
	for (uint64_t i = 0; i < b->nlines; i++)
		b->lines[i].group = remap(map, b->lines[i].group);
	for (uint64_t i = 0; i < b->npref; i++)
		b->pref[i] = map[b->pref[i]];
	for (uint64_t i = 0; i < b->nkeys; i++)
		b->keys[i].group = map[b->keys[i].group];
	free(b->groups);
	b->groups = ng;
	free(perm);
	free(map);
	return 0;
}

static int line_cmp(const void *x, const void *y)
{
	const annot_bline *a = x, *c = y;

	if (a->ref != c->ref)
		return a->ref < c->ref ? -1 : 1;
	if (a->beg != c->beg)
		return a->beg < c->beg ? -1 : 1;
	return a->order < c->order ? -1 : a->order > c->order;
}

/* ---- parent/child tables (CSR: at[g] .. at[g+1] in the list) ---- */

typedef struct pair {
	uint32_t a, b;
} pair;

static int pair_cmp(const void *x, const void *y)
{
	const pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* CSR from pairs (group, item), sorted; duplicates kept once. */
static int csr_from_pairs(pair *p, uint64_t n, uint32_t ngroups, uint32_t **at,
			  uint32_t **list, uint64_t *count)
{
	uint64_t w = 0;

	qsort(p, n, sizeof(*p), pair_cmp);
	*at = calloc((size_t)ngroups + 1, 4);
	*list = malloc((n ? n : 1) * 4);
	if (!*at || !*list)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		if (w && p[i].a == p[i - 1].a && p[i].b == p[i - 1].b)
			continue;
		(*at)[p[i].a + 1]++;
		(*list)[w++] = p[i].b;
	}
	for (uint32_t g = 0; g < ngroups; g++)
		(*at)[g + 1] += (*at)[g];
	*count = w;
	return 0;
}

/*
 * glines (a group's lines), kids (lines naming it as Parent) and subs
 * (child groups); lines are listed in input order, which `inv` (input
 * order -> index) gives.
 */
static int build_tables(gdb_annot_builder *b, const uint32_t *inv)
{
	uint64_t np = 0, cap = b->nlines + b->npref + b->ngroups + 1, n;
	pair *p = malloc(cap * sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	/* pairs are sorted by group then item: items are input orders,
	 * mapped to indexes after sorting */
	for (uint64_t o = 0; o < b->nlines; o++)
		if (b->lines[inv[o]].group != ANNOT_NONE)
			p[np++] = (pair){b->lines[inv[o]].group, (uint32_t)o};
	rc = csr_from_pairs(p, np, b->ngroups, &b->glines_at, &b->glines, &n);
	for (uint64_t i = 0; rc == 0 && i < n; i++)
		b->glines[i] = inv[b->glines[i]];
	np = 0;
	for (uint64_t o = 0; rc == 0 && o < b->nlines; o++) {
		const annot_bline *l = &b->lines[inv[o]];
		for (uint32_t k = 0; k < l->npar; k++)
			p[np++] = (pair){b->pref[l->pfirst + k], (uint32_t)o};
	}
	if (rc == 0)
		rc = csr_from_pairs(p, np, b->ngroups, &b->kids_at, &b->kids,
				    &n);
	for (uint64_t i = 0; rc == 0 && i < n; i++)
		b->kids[i] = inv[b->kids[i]];
	np = 0;
	for (uint64_t i = 0; rc == 0 && i < b->nlines; i++) {
		const annot_bline *l = &b->lines[i];
		for (uint32_t k = 0; l->group != ANNOT_NONE && k < l->npar; k++)
			p[np++] = (pair){b->pref[l->pfirst + k], l->group};
	}
	for (uint32_t g = 0; rc == 0 && g < b->ngroups; g++)
		if (b->groups[g].gparent != ANNOT_NONE)
			p[np++] = (pair){b->groups[g].gparent, g};
	if (rc == 0)
		rc = csr_from_pairs(p, np, b->ngroups, &b->subs_at, &b->subs,
				    &n);
	free(p);
	return rc;
}

/* No group may be its own ancestor: an iterative depth-first search. */
static int check_cycles(gdb_annot_builder *b, char *err, size_t errlen)
{
	uint8_t *color = calloc((size_t)b->ngroups + 1, 1);
	uint32_t *stack = malloc(((size_t)b->ngroups + 1) * 8);
	int rc = 0;

	if (!color || !stack) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t r = 0; r < b->ngroups && rc == 0; r++) {
		uint32_t t = 0;
		if (color[r])
			continue;
		color[r] = 1;
		stack[t * 2] = r;
		stack[t * 2 + 1] = b->subs_at[r];
		t++;
		while (t && rc == 0) {
			uint32_t g = stack[(t - 1) * 2],
				 *next = &stack[(t - 1) * 2 + 1];
			if (*next == b->subs_at[g + 1]) {
				color[g] = 2;
				t--;
				continue;
			}
			uint32_t c = b->subs[(*next)++];
			if (color[c] == 1) {
				const annot_bgroup *gr = &b->groups[c];
				gdb_seterr(err, errlen,
					   "%s:%llu: ID '%s' is its "
					   "own ancestor (a Parent cycle)",
					   b->file,
					   (unsigned long long)gr->lineno,
					   annot_bstr(b, gr->id));
				rc = GDB_EFORMAT;
			} else if (!color[c]) {
				color[c] = 1;
				stack[t * 2] = c;
				stack[t * 2 + 1] = b->subs_at[c];
				t++;
			}
		}
	}
out:
	free(color);
	free(stack);
	return rc;
}

static int key_cmp(const void *x, const void *y, void *arg)
{
	const gdb_annot_builder *b = arg;
	const annot_key *p = x, *q = y;
	const char *s = annot_bstr(b, p->str), *t = annot_bstr(b, q->str);
	int c = strcasecmp(s, t);

	if (!c)
		c = strcmp(s, t);
	if (!c)
		c = p->group < q->group ? -1 : p->group > q->group;
	return c;
}

static void sort_keys(gdb_annot_builder *b)
{
	uint64_t w = 0;

	if (b->nkeys > 1)
		qsort_r(b->keys, b->nkeys, sizeof(*b->keys), key_cmp, b);
	for (uint64_t i = 0; i < b->nkeys; i++)
		if (!w || key_cmp(&b->keys[i], &b->keys[w - 1], b))
			b->keys[w++] = b->keys[i];
	b->nkeys = w;
}

/* Per slot: the tree's maxima over the sorted lines. */
static int build_trees(gdb_annot_builder *b)
{
	int64_t *end = malloc((b->nlines ? b->nlines : 1) * 8);
	uint64_t i = 0;

	b->maxend = malloc((b->nlines ? b->nlines : 1) * 8);
	b->levels = calloc(b->nslot ? b->nslot : 1, 4);
	if (!end || !b->maxend || !b->levels) {
		free(end);
		return -ENOMEM;
	}
	for (uint64_t j = 0; j < b->nlines; j++)
		end[j] = b->lines[j].end;
	for (uint32_t s = 0; s < b->nslot; s++) {
		uint64_t j = i;
		while (j < b->nlines && b->lines[j].ref == s)
			j++;
		b->levels[s] = annot_tree_build(end + i, j - i, b->maxend + i);
		i = j;
	}
	free(end);
	return 0;
}

int annot_index_build(gdb_annot_builder *b, char *err, size_t errlen)
{
	uint32_t *inv;
	int rc;

	GDB_TRY(resolve_parents(b, err, errlen));
	GDB_TRY(assign_slots(b));
	GDB_TRY(sort_groups(b));
	if (b->nlines > 1)
		qsort(b->lines, b->nlines, sizeof(*b->lines), line_cmp);
	inv = malloc((b->nlines ? b->nlines : 1) * 4);
	if (!inv)
		return -ENOMEM;
	for (uint64_t i = 0; i < b->nlines; i++)
		inv[b->lines[i].order] = (uint32_t)i;
	rc = build_tables(b, inv);
	free(inv);
	if (rc == 0)
		rc = check_cycles(b, err, errlen);
	if (rc == 0) {
		sort_keys(b);
		rc = build_trees(b);
	}
	return rc;
}
