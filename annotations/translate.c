/*
 * annotations/translate.c - the NCBI genetic codes and translation of
 * IUPAC nucleotide sequences, as Biopython's Seq.translate reads them.
 *
 * Each table is NCBI's pair of 64-letter strings ("AAs" and "Starts") in
 * the order TCAG x TCAG x TCAG of the first, second and third base. A
 * codon with IUPAC ambiguity codes is read every way it can be: one amino
 * acid for all readings gives that amino acid, D|N gives B, E|Q gives Z,
 * I|L gives J, only stops give '*', a mix of stops and amino acids or
 * anything else gives X (Biopython's ambiguous forward table).
 */
#include <errno.h>
#include <string.h>

#include "annotations/annot_int.h"

typedef struct code {
	int id;
	const char *aa;
	const char *start;
} code;

static const code codes[] = {
    {1, "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "---M---------------M---------------M----------------------------"},
    {2, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSS**VVVVAAAADDEEGGGG",
     "--------------------------------MMMM---------------M------------"},
    {3, "FFLLSSSSYY**CCWWTTTTPPPPHHQQRRRRIIMMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "----------------------------------MM---------------M------------"},
    {4, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "--MM---------------M------------MMMM---------------M------------"},
    {5, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSSSSVVVVAAAADDEEGGGG",
     "---M----------------------------MMMM---------------M------------"},
    {6, "FFLLSSSSYYQQCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {9, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIIMTTTTNNNKSSSSVVVVAAAADDEEGGGG",
     "-----------------------------------M---------------M------------"},
    {10, "FFLLSSSSYY**CCCWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {11, "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "---M---------------M------------MMMM---------------M------------"},
    {12, "FFLLSSSSYY**CC*WLLLSPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-------------------M---------------M----------------------------"},
    {13, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSSGGVVVVAAAADDEEGGGG",
     "---M------------------------------MM---------------M------------"},
    {14, "FFLLSSSSYYY*CCWWLLLLPPPPHHQQRRRRIIIMTTTTNNNKSSSSVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {15, "FFLLSSSSYY*QCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {16, "FFLLSSSSYY*LCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {21, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNNKSSSSVVVVAAAADDEEGGGG",
     "-----------------------------------M---------------M------------"},
    {22, "FFLLSS*SYY*LCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {23, "FF*LSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "--------------------------------M--M---------------M------------"},
    {24, "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSSKVVVVAAAADDEEGGGG",
     "---M---------------M---------------M---------------M------------"},
    {25, "FFLLSSSSYY**CCGWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "---M-------------------------------M---------------M------------"},
    {26, "FFLLSSSSYY**CC*WLLLAPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-------------------M---------------M----------------------------"},
    {27, "FFLLSSSSYYQQCCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {28, "FFLLSSSSYYQQCCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {29, "FFLLSSSSYYYYCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {30, "FFLLSSSSYYEECC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {31, "FFLLSSSSYYEECCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "-----------------------------------M----------------------------"},
    {32, "FFLLSSSSYY*WCC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
     "---M---------------M------------MMMM---------------M------------"},
    {33, "FFLLSSSSYYY*CCWWLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSSKVVVVAAAADDEEGGGG",
     "---M---------------M---------------M---------------M------------"},
};

static const code *code_of(int table)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].id == table)
			return &codes[i];
	return NULL;
}

int gdb_annot_table_ok(int table)
{
	return code_of(table) != NULL;
}

/* The readings of a base as a 4-bit set over T C A G (bit 0 = T);
 * 0 for a letter that is no nucleotide. */
static unsigned base_set(char c)
{
	switch (c & ~0x20) { /* upper-case */
	case 'T':
	case 'U':
		return 1;
	case 'C':
		return 2;
	case 'A':
		return 4;
	case 'G':
		return 8;
	case 'Y':
		return 1 | 2;
	case 'R':
		return 4 | 8;
	case 'W':
		return 1 | 4;
	case 'S':
		return 2 | 8;
	case 'K':
		return 1 | 8;
	case 'M':
		return 2 | 4;
	case 'B':
		return 1 | 2 | 8;
	case 'D':
		return 1 | 4 | 8;
	case 'H':
		return 1 | 2 | 4;
	case 'V':
		return 2 | 4 | 8;
	case 'N':
	case 'X':
		return 15;
	}
	return 0;
}

/* Amino acids are letters A-Z: a 26-bit set, plus '*' apart. */
static char ambiguous(const code *t, unsigned s0, unsigned s1, unsigned s2)
{
	uint32_t aas = 0;
	int stops = 0, n = 0;

	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			for (int k = 0; k < 4; k++) {
				char a;
				if (!(s0 >> i & 1) || !(s1 >> j & 1) ||
				    !(s2 >> k & 1))
					continue;
				a = t->aa[i * 16 + j * 4 + k];
				if (a == '*')
					stops = 1;
				else
					aas |= (uint32_t)1 << (a - 'A');
			}
	for (int b = 0; b < 26; b++)
		n += aas >> b & 1;
	if (stops)
		return n ? 'X' : '*';
	if (n == 1)
		for (int b = 0; b < 26; b++)
			if (aas >> b & 1)
				return (char)('A' + b);
#define SET2(x, y) (((uint32_t)1 << ((x) - 'A')) | ((uint32_t)1 << ((y) - 'A')))
	if (aas == SET2('D', 'N'))
		return 'B';
	if (aas == SET2('E', 'Q'))
		return 'Z';
	if (aas == SET2('I', 'L'))
		return 'J';
#undef SET2
	return 'X';
}

static int codon_index(const char *c)
{
	static const signed char idx[16] = {-1, 0, 1, -1, 2, -1, -1, -1, 3};
	unsigned s0 = base_set(c[0]), s1 = base_set(c[1]), s2 = base_set(c[2]);

	if (s0 > 8 || s1 > 8 || s2 > 8 || idx[s0] < 0 || idx[s1] < 0 ||
	    idx[s2] < 0)
		return -1;
	return idx[s0] * 16 + idx[s1] * 4 + idx[s2];
}

int annot_is_start(int table, const char *codon)
{
	const code *t = code_of(table);
	int i = codon_index(codon);

	return t && i >= 0 && t->start[i] == 'M';
}

int64_t gdb_annot_translate(const char *dna, size_t n, int table, int start,
			    char *out)
{
	const code *t = code_of(table);
	size_t k = 0;
	/* decided first: out may be dna itself (it is written behind) */
	int m = start && n >= 3 && annot_is_start(table, dna);

	if (!t)
		return -EINVAL;
	for (size_t i = 0; i + 3 <= n; i += 3) {
		int ci = codon_index(dna + i);
		if (ci >= 0) {
			out[k++] = t->aa[ci];
		} else {
			unsigned s0 = base_set(dna[i]),
				 s1 = base_set(dna[i + 1]);
			unsigned s2 = base_set(dna[i + 2]);
			out[k++] =
			    s0 && s1 && s2 ? ambiguous(t, s0, s1, s2) : 'X';
		}
	}
	if (m)
		out[0] = 'M';
	return (int64_t)k;
}
