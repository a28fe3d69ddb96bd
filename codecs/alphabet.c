/*
 * codecs/alphabet.c - which letters each alphabet allows, detection by
 * content, and the lossy transforms (docs/FORMAT.md "Alphabets" and
 * "Lossy modes").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codecs/codecs.h"
#include "simd/simd.h"

enum { A_NUC = 1, A_PROT = 2, A_PROT_ONLY = 4, A_IUPAC = 8 };

#define NUC(c) [c] = A_NUC | A_PROT, [(c) | 0x20] = A_NUC | A_PROT
#define AMB(c)                                                                 \
	[c] = A_NUC | A_PROT | A_IUPAC, [(c) | 0x20] = A_NUC | A_PROT | A_IUPAC
#define PRO(c) [c] = A_PROT | A_PROT_ONLY, [(c) | 0x20] = A_PROT | A_PROT_ONLY

/* A C G T and the IUPAC codes are also amino-acid letters (B D H K M N R
 * S V W Y); U is selenocysteine. Letters only proteins use decide auto
 * detection. */
static const uint8_t cls[256] = {
    NUC('A'), NUC('C'), NUC('G'),
    NUC('T'), NUC('U'), NUC('N'),
    AMB('R'), AMB('Y'), AMB('S'),
    AMB('W'), AMB('K'), AMB('M'),
    AMB('B'), AMB('D'), AMB('H'),
    AMB('V'), PRO('E'), PRO('F'),
    PRO('I'), PRO('L'), PRO('P'),
    PRO('Q'), PRO('J'), PRO('O'),
    PRO('X'), PRO('Z'), ['*'] = A_PROT | A_PROT_ONLY,
};

const char *gdb_alphabet_name(uint32_t alphabet)
{
	switch (alphabet) {
	case GDB_ALPHA_DNA:
		return "dna";
	case GDB_ALPHA_RNA:
		return "rna";
	case GDB_ALPHA_PROTEIN:
		return "protein";
	default:
		return "?";
	}
}

int gdb_alphabet_parse(const char *name)
{
	if (!strcmp(name, "auto"))
		return 0;
	for (uint32_t a = GDB_ALPHA_DNA; a <= GDB_ALPHA_PROTEIN; a++)
		if (!strcmp(name, gdb_alphabet_name(a)))
			return (int)a;
	return -EINVAL;
}

int gdb_alphabet_valid(uint32_t alphabet, int c)
{
	if (c < 0 || c > 255)
		return 0;
	if (alphabet == GDB_ALPHA_PROTEIN)
		return !!(cls[c] & A_PROT);
	if (alphabet == GDB_ALPHA_DNA || alphabet == GDB_ALPHA_RNA)
		return !!(cls[c] & A_NUC);
	return 0;
}

/* .u8 code + 1 of each protein letter (0: not a residue, code 255). */
#define RES(c, code) [c] = (code) + 1, [(c) | 0x20] = (code) + 1
static const uint8_t res_u8[256] = {
    RES('A', 0),  RES('C', 1),	RES('D', 2),  RES('E', 3),  RES('F', 4),
    RES('G', 5),  RES('H', 6),	RES('I', 7),  RES('K', 8),  RES('L', 9),
    RES('M', 10), RES('N', 11), RES('P', 12), RES('Q', 13), RES('R', 14),
    RES('S', 15), RES('T', 16), RES('V', 17), RES('W', 18), RES('Y', 19),
    RES('B', 20), RES('Z', 21), RES('X', 22), RES('U', 23), RES('O', 24),
    RES('J', 25), ['*'] = 27,
};

void gdb_alphabet_to_u8(uint32_t alphabet, const char *src, size_t n,
			uint8_t *dst)
{
	if (alphabet != GDB_ALPHA_PROTEIN) {
		gdb_simd()->to_u8(src, n, dst);
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = (uint8_t)(res_u8[(uint8_t)src[i]] - 1);
}

void gdb_alphabet_sniff_add(gdb_alpha_sniff *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->count[(uint8_t)p[i]]++;
	s->total += n;
}

static uint64_t both(const gdb_alpha_sniff *s, char c)
{
	return s->count[(uint8_t)c] + s->count[(uint8_t)(c | 0x20)];
}

/* Does the sample hold a letter only proteins use? */
static int prot_only(const gdb_alpha_sniff *s)
{
	for (int c = 0; c < 256; c++)
		if (s->count[c] && (cls[c] & A_PROT_ONLY))
			return 1;
	return 0;
}

uint32_t gdb_alphabet_sniff_result(const gdb_alpha_sniff *s, char *why,
				   size_t whylen)
{
	uint64_t acgtun = 0, t = both(s, 'T'), u = both(s, 'U');

	for (const char *l = "ACGTUN"; *l; l++)
		acgtun += both(s, *l);
	if (s->total && acgtun * 10 < s->total * 9) {
		gdb_seterr(why, whylen,
			   "only %.1f%% of the first %llu residues are "
			   "A/C/G/T/U/N%s",
			   100.0 * (double)acgtun / (double)s->total,
			   (unsigned long long)s->total,
			   prot_only(s) ? ", and letters only proteins use "
					  "occur"
					: "");
		return GDB_ALPHA_PROTEIN;
	}
	gdb_seterr(why, whylen,
		   "%.1f%% of the first %llu residues are A/C/G/T/U/N, with "
		   "%llu U and %llu T",
		   s->total ? 100.0 * (double)acgtun / (double)s->total : 100.0,
		   (unsigned long long)s->total, (unsigned long long)u,
		   (unsigned long long)t);
	return u > t ? GDB_ALPHA_RNA : GDB_ALPHA_DNA;
}

int gdb_lossy_parse(const char *name)
{
	if (!strcmp(name, "drop-mask"))
		return (int)GDB_LOSSY_DROP_MASK;
	if (!strcmp(name, "iupac-to-n"))
		return (int)GDB_LOSSY_IUPAC_TO_N;
	return -EINVAL;
}

void gdb_lossy_text(unsigned lossy, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s",
		 lossy & GDB_LOSSY_DROP_MASK ? "drop-mask" : "",
		 (lossy & GDB_LOSSY_ALL) == GDB_LOSSY_ALL ? "," : "",
		 lossy & GDB_LOSSY_IUPAC_TO_N ? "iupac-to-n" : "");
}

void gdb_lossy_apply(unsigned lossy, uint32_t alphabet, char *bases, size_t n)
{
	int iupac =
	    (lossy & GDB_LOSSY_IUPAC_TO_N) && alphabet != GDB_ALPHA_PROTEIN;

	if (lossy & GDB_LOSSY_DROP_MASK) {
		for (size_t i = 0; i < n; i++)
			if (bases[i] >= 'a' && bases[i] <= 'z')
				bases[i] = (char)(bases[i] - 0x20);
	}
	if (iupac) {
		for (size_t i = 0; i < n; i++)
			if (cls[(uint8_t)bases[i]] & A_IUPAC)
				bases[i] = (char)('N' | (bases[i] & 0x20));
	}
}
