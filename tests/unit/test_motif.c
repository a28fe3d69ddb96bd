/*
 * tests/unit/test_motif.c - the motif module (motif/motif.h): the JASPAR,
 * .pfm and MEME parsers on known answers, the format guess, and building
 * a set from files' texts: ids from the file name, the checks a file
 * passes whole (bad ids, repeated ids, matrices that are not counts,
 * binary data), and messages that name the file and line.
 *
 * Exit status: 0 pass, 1 fail (the first failures are printed).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gdb.h"
#include "motif/motif.h"

#define UNIT_SEED 0x6d6f7469665f7331ull
#include "tests/unit/unit.h"

static const char jaspar[] = ">MA0004.1 Arnt\n"
			     "A  [ 4 19  0  0  0  0 ]\n"
			     "C  [16  0 20  0  0  0 ]\n"
			     "G  [ 0  1  0 20  0 20 ]\n"
			     "T  [ 0  0  0  0 20  0 ]\n"
			     ">MA0006.1\tAhr::Arnt\n"
			     "A  [ 3  0  0  0  0  0 ]\n"
			     "C  [ 8  0 23  0  0  0 ]\n"
			     "G  [ 2 23  0 23  0 24 ]\n"
			     "T  [11  1  1  1 24  0 ]\n";
static const char pfm[] = ">X\n1 2 3\n4 5 6\n7 8 9\n10 11 12\n";
static const char meme[] =
    "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
    "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
    "MOTIF m1 first\n"
    "letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0\n"
    " 0.1 0.2 0.3 0.4\n 1.0 0 0 0\n\n 0.25 0.25 0.25 0.25\n"
    "MOTIF m2\n"
    "letter-probability matrix: alength= 4 w= 1\n0 0 1 0\n";

/* Every level's hits (positions, strands, scores) against the naive sum. */
static void test_parsers(void)
{
	gdb_motif mo[4];
	char err[128];
	int n;

	n = gdb_motif_parse_jaspar(jaspar, sizeof(jaspar) - 1, mo, 4, err,
				   sizeof(err));
	if (n != 2 || mo[0].len != 6 || mo[0].counts[1][0] != 19 ||
	    strcmp(mo[1].id, "MA0006.1") || strcmp(mo[1].name, "Ahr::Arnt") ||
	    mo[1].counts[0][3] != 11)
		FAIL("jaspar parse: %d %s", n, err);
	n = gdb_motif_parse_jaspar(pfm, sizeof(pfm) - 1, mo, 4, err,
				   sizeof(err));
	if (n != 1 || mo[0].len != 3 || mo[0].counts[2][3] != 12)
		FAIL("pfm parse: %d %s", n, err);
	n = gdb_motif_parse_meme(meme, sizeof(meme) - 1, mo, 4, err,
				 sizeof(err));
	if (n != 2 || mo[0].len != 3 || fabs(mo[0].counts[0][3] - 4) > 1e-9 ||
	    mo[1].len != 1 || fabs(mo[1].counts[0][2] - 20) > 1e-9 ||
	    strcmp(mo[0].name, "first"))
		FAIL("meme parse: %d %s", n, err);
	if (gdb_motif_parse_jaspar(">a\nA [1 2]\nC [1]\n", 17, mo, 4, err,
				   sizeof(err)) != GDB_EFORMAT)
		FAIL("jaspar error");
	if (gdb_motif_guess(meme, sizeof(meme) - 1) != GDB_MOTIF_MEME ||
	    gdb_motif_guess(jaspar, sizeof(jaspar) - 1) != GDB_MOTIF_JASPAR ||
	    gdb_motif_guess(pfm, sizeof(pfm) - 1) != GDB_MOTIF_JASPAR ||
	    gdb_motif_guess("MOTIF x\n", 8) != GDB_MOTIF_JASPAR)
		FAIL("guess");
}

/* add text as path; expect rc and, when rc < 0, msg inside the error */
static void add_expect(gdb_motif_set *set, const char *path, const char *text,
		       size_t n, enum gdb_motif_format fmt, int want,
		       const char *msg)
{
	char err[512] = "";
	size_t before = set->n;
	int rc = gdb_motif_set_add(set, path, text, n, fmt, err, sizeof(err));

	if (rc != want)
		FAIL("%s: rc %d, want %d (%s)", path, rc, want, err);
	else if (rc < 0 &&
		 (!strstr(err, msg) || strncmp(err, path, strlen(path))))
		FAIL("%s: message '%s' lacks '%s' or the file", path, err, msg);
	else if (rc < 0 && set->n != before)
		FAIL("%s: a failed file changed the set", path);
}

static void test_set(void)
{
	gdb_motif_set set = {0};
	static const char bare[] = "1 2\n3 4\n5 6\n7 8\n";
	static const char neg[] = ">N1\nA [1 -2]\nC [1 2]\nG [1 2]\nT [1 2]\n";
	static const char slash[] = ">A/B\nA [1]\nC [1]\nG [1]\nT [1]\n";
	static const char dot[] = ">..\nA [1]\nC [1]\nG [1]\nT [1]\n";
	static const char bad[] = ">X1\nA [1 2]\nC [1]\nG [1 2]\nT [1 2]\n";

	add_expect(&set, "dir/hand.jaspar", jaspar, sizeof(jaspar) - 1,
		   GDB_MOTIF_GUESS, 2, NULL);
	add_expect(&set, "m.meme", meme, sizeof(meme) - 1, GDB_MOTIF_GUESS, 2,
		   NULL);
	add_expect(&set, "x/y/bare.v1.pfm", bare, sizeof(bare) - 1,
		   GDB_MOTIF_JASPAR, 1, NULL);
	if (set.n != 5 || strcmp(set.m[2].id, "m1") ||
	    strcmp(set.m[4].id, "bare") || set.m[4].len != 2)
		FAIL("set: %zu motifs, ids %s %s", set.n,
		     set.n > 2 ? set.m[2].id : "-",
		     set.n > 4 ? set.m[4].id : "-");
	/* each failure leaves the set as it was */
	add_expect(&set, "again.jaspar", jaspar, sizeof(jaspar) - 1,
		   GDB_MOTIF_GUESS, GDB_EFORMAT,
		   "motif id MA0004.1 appears twice");
	add_expect(&set, "neg.jaspar", neg, sizeof(neg) - 1, GDB_MOTIF_GUESS,
		   GDB_EFORMAT, "motif N1: not a count");
	add_expect(&set, "slash.jaspar", slash, sizeof(slash) - 1,
		   GDB_MOTIF_GUESS, GDB_EFORMAT, "'A/B' cannot name a file");
	add_expect(&set, "dot.jaspar", dot, sizeof(dot) - 1, GDB_MOTIF_GUESS,
		   GDB_EFORMAT, "'..' cannot name a file");
	add_expect(&set, "bad.jaspar", bad, sizeof(bad) - 1, GDB_MOTIF_GUESS,
		   GDB_EFORMAT, "bad.jaspar:3: bad matrix row");
	add_expect(&set, "bin.jaspar", "A\0B", 3, GDB_MOTIF_GUESS, GDB_EFORMAT,
		   "binary data");
	add_expect(&set, "none.jaspar", "# x\n", 4, GDB_MOTIF_GUESS,
		   GDB_EFORMAT, "no motifs found");
	add_expect(&set, "j.meme", jaspar, sizeof(jaspar) - 1, GDB_MOTIF_MEME,
		   GDB_EFORMAT, "no motifs found");
	add_expect(&set, "f.x", bare, sizeof(bare) - 1,
		   (enum gdb_motif_format)7, -EINVAL, "unknown format");
	if (set.n != 5)
		FAIL("failed files changed the set: %zu", set.n);
	gdb_motif_set_free(&set);
	gdb_motif_set_free(&set);
	if (set.m || set.n)
		FAIL("free");
}

int main(void)
{
	test_parsers();
	test_set();
	if (failures) {
		fprintf(stderr, "test_motif: %d failures\n", failures);
		return T_EXIT_FAIL;
	}
	printf("test_motif: ok\n");
	return T_EXIT_PASS;
}
