/*
 * tests/unit/test_graph_errors.c - every graph format's malformed input,
 * through the library import (graph/graph.h) from memory: each is refused
 * with "NAME:LINE: reason" naming the input and the line of the fault
 * (docs/GRAPH.md "Import"), whether the format is named or guessed.
 * The expected lines and reasons are read off each input by hand: the
 * line of the offending row, tag or attribute.
 */
#define UNIT_SEED 0x6772617068657272ull
#define _GNU_SOURCE
#include "tests/unit/unit.h"

#include <errno.h>
#include <string.h>

#include "graph/graph.h"

#define BIOGRID_HDR                                                            \
	"#BioGRID Interaction ID\tEntrez Gene Interactor A\t"                  \
	"Entrez Gene Interactor B\tOfficial Symbol Interactor A\t"             \
	"Official Symbol Interactor B\tExperimental System\t"                  \
	"Experimental System Type\tPublication Source\tThroughput\t"           \
	"Modification\tSynonyms Interactor A\tSynonyms Interactor B\n"
#define ACTIONS_HDR                                                            \
	"item_id_a\titem_id_b\tmode\taction\tis_directional\ta_is_acting\t"    \
	"score\n"

/* One malformed input: its name, the format named (NULL: guessed), the
 * text, and what the message must hold after "name:line: ". */
struct bad {
	const char *name, *fmt, *text;
	unsigned line;
	const char *reason;
};

static const struct bad cases[] = {
    /* line reader and SIF */
    {"nul.sif", "sif", "a pp b\nc\0 pp d\n", 2, "NUL byte in line"},
    {"src.sif", "sif", "a pp b\n\tpp\tc\n", 2, "empty source or type"},
    {"tgt.sif", "sif", "a\tpp\t\tc\n", 1, "empty target (field 3)"},
    {"two.sif", NULL, "a pp b\nc pp\n", 2, "found 2 fields"},
    /* GMT */
    {"one.gmt", NULL, "S1\tdesc\tA\nS2\n", 2, "expected 'name<TAB>"},
    {"none.gmt", "gmt", "# only a comment\n", 1, "no gene sets found"},
    {"blank.gmt", "gmt", "S1\td\tA\n \td\tB\n", 2, "expected 'name<TAB>"},
    /* TSV edge lists */
    {"e.tsv", "tsv", "a\tb\n\tc\n", 2, "empty source or target"},
    /* STRING links and actions */
    {"nocomb.txt", "string", "protein1 protein2 neighborhood\nA B 1\n", 1,
     "no combined_score column"},
    {"word.txt", "string", "protein1 protein2 combined_score\nA B high\n", 2,
     "expected an integer score, found 'high'"},
    {"big.txt", "string", "protein1 protein2 combined_score\nA B 1001\n", 2,
     "not an integer in 0..1000"},
    {"cols.txt", NULL, "protein1 protein2 combined_score\nA B 9 9\n", 2,
     "expected 3 columns, found 4"},
    {"act.txt", NULL, ACTIONS_HDR "A\tB\n", 2, "expected 7 columns, found 2"},
    {"act2.txt", NULL, ACTIONS_HDR "A\tB\tbinding\t\tf\tf\tstrong\n", 2,
     "score: expected an integer score, found 'strong'"},
    /* BioGRID TAB3 */
    {"short.txt", "biogrid", "#BioGRID Interaction ID\tx\n1\n", 1,
     "expected a BioGRID TAB3 header"},
    {"lacks.txt", NULL,
     "#BioGRID Interaction ID\ta\tb\tc\td\te\tf\tg\th\ti\tj\tk\n", 1,
     "BioGRID header lacks 'Official Symbol Interactor A'"},
    {"noname.txt", NULL, BIOGRID_HDR "1\t-\t-\t-\t-\tx\tx\tx\tx\t-\t-\t-\n", 2,
     "interactor A has no name"},
    /* XML tokenizer (KGML and SBML share it); a NUL was "line 0" */
    {"nul.kgml", "kgml", "<pathway name='p'>\n<entry\0/>\n</pathway>\n", 2,
     "NUL byte in XML"},
    {"cmt.xml", "kgml", "<pathway name='p'>\n<!-- open\n", 2,
     "unterminated comment"},
    {"cdata.xml", "kgml", "<pathway name='p'>\n<![CDATA[ x\n", 2,
     "unterminated CDATA section"},
    {"pi.xml", "kgml", "<?xml version='1.0'\n", 2, "unterminated '<?'"},
    {"close.xml", "kgml", "<pathway name='p'/>\n</entry>\n", 2,
     "closing tag </entry> with nothing open"},
    {"mismatch.xml", "kgml", "<pathway name='p'>\n<entry>\n</pathway>\n", 3,
     "closing tag </pathway> does not match <entry> (line 2)"},
    {"endtag.xml", "kgml", "<pathway name='p'>\n</pathway\n", 3,
     "unterminated closing tag"},
    {"noval.xml", "kgml", "<pathway name='p'>\n<entry id>\n", 2,
     "attribute 'id' in <entry> has no value"},
    {"lt.xml", "kgml", "<pathway name='p<'/>\n", 1,
     "'<' in attribute 'name' of <pathway>"},
    {"unq.xml", "kgml", "<pathway name='p/>\n", 2,
     "unterminated value of attribute 'name' in <pathway>"},
    {"ent.xml", "kgml", "<pathway name='&bogus;'/>\n", 1,
     "bad entity in attribute 'name' of <pathway>"},
    {"opentag.xml", "kgml", "<pathway name='p' \n", 2,
     "unterminated tag <pathway>"},
    {"blank.xml", "kgml", "<pathway name='p'org='hsa'/>\n", 1,
     "no blank between attributes in <pathway>"},
    {"tag.xml", "kgml", "<pathway name='p'>\n<1a/>\n", 2,
     "malformed tag '<1a/>"},
    {"tagend.xml", "kgml", "<pathway name='p'>\n<entry", 2,
     "unterminated tag <entry"},
    {"roots.xml", "kgml", "<pathway name='p'/>\n<pathway name='q'/>\n", 2,
     "more than one root element"},
    {"eof.xml", "kgml",
     "<pathway name='p'>\n<entry id='1' name='a' "
     "type='gene'>\n",
     3, "end of file inside <entry> (opened at line 2)"},
    {"empty.xml", "kgml", "<!-- nothing but a comment -->\n", 2,
     "no XML element found"},
    /* KGML */
    {"root.kgml", "kgml", "<sbml/>\n", 1,
     "root element is <sbml>, not <pathway> (KGML)"},
    {"noname.kgml", "kgml", "<pathway title='x'/>\n", 1,
     "<pathway> has no name"},
    {"dup.kgml", NULL,
     "<pathway name='path:p'>\n<entry id='1' name='hsa:1' type='gene'/>\n"
     "<entry id='1' name='hsa:2' type='gene'/>\n</pathway>\n",
     3, "duplicate entry id 1"},
    {"grp.kgml", NULL,
     "<pathway name='path:p'>\n<entry id='1' name='hsa:1' type='gene'/>\n"
     "<entry id='2' name='undefined' type='group'>\n<component id='3'/>\n"
     "</entry>\n<entry id='3' name='undefined' type='group'/>\n"
     "</pathway>\n",
     4, "group component refers to group entry 3"},
    {"cpd.kgml", NULL,
     "<pathway name='path:p'>\n<entry id='1' name='hsa:1' type='gene' "
     "reaction='rn:R1'/>\n<reaction id='1' name='rn:R1' type='irreversible'>"
     "\n<substrate id='9'/>\n</reaction>\n</pathway>\n",
     4, "reaction compound without id or name"},
    /* SBML */
    {"root.sbml", "sbml", "<pathway name='p'/>\n", 1,
     "root element is <pathway>, not <sbml>"},
    {"nomodel.sbml", "sbml", "<sbml>\n<notes/>\n</sbml>\n", 1,
     "no <model> in the SBML document"},
    {"sp.sbml", NULL,
     "<sbml>\n<model id='m'>\n<listOfSpecies>\n<species name='x'/>\n"
     "</listOfSpecies>\n</model>\n</sbml>\n",
     4, "<species> without id"},
    {"gp.sbml", NULL,
     "<sbml>\n<model id='m'>\n<fbc:listOfGeneProducts>\n"
     "<fbc:geneProduct fbc:label='g'/>\n</fbc:listOfGeneProducts>\n"
     "</model>\n</sbml>\n",
     4, "<geneProduct> without id"},
    {"rx.sbml", NULL,
     "<sbml>\n<model id='m'>\n<listOfReactions>\n<reaction name='r'/>\n"
     "</listOfReactions>\n</model>\n</sbml>\n",
     4, "<reaction> without id"},
    {"ref.sbml", NULL,
     "<sbml>\n<model id='m'>\n<listOfReactions>\n<reaction id='R1'>\n"
     "<listOfProducts>\n<speciesReference stoichiometry='1'/>\n"
     "</listOfProducts>\n</reaction>\n</listOfReactions>\n</model>\n"
     "</sbml>\n",
     6, "<speciesReference> without species"},
    {"gpr.sbml", NULL,
     "<sbml>\n<model id='m'>\n<listOfReactions>\n<reaction id='R1'>\n"
     "<fbc:geneProductRef fbc:geneProduct='G_none'/>\n</reaction>\n"
     "</listOfReactions>\n</model>\n</sbml>\n",
     5, "reaction R1 refers to unknown gene product G_none"},
    {"grp.sbml", NULL,
     "<sbml>\n<model id='m'>\n<groups:listOfGroups>\n<groups:group "
     "groups:kind='partonomy'/>\n</groups:listOfGroups>\n</model>\n"
     "</sbml>\n",
     4, "<group> without id or name"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Import one text; @return the import's result, the message in err. */
static int import_text(const gdb_graph_import_opts *o, const char *name,
		       const char *text, size_t n, char *err, size_t errlen)
{
	gdb_graph_import *im = NULL;
	gdb_graph_mem_input m;
	gdb_graph_input in;
	int rc;

	gdb_graph_input_mem(&in, name, &m, text, n);
	if (gdb_graph_import_new(o, &im, err, errlen) < 0)
		return 1; /* never expected here: reported by the caller */
	rc = gdb_graph_import_inputs(im, &in, 1, err, errlen);
	gdb_graph_import_free(im);
	return rc;
}

/* The length of a case's text: up to its last newline, NULs included. */
static size_t text_len(const struct bad *b)
{
	if (!strcmp(b->name, "nul.sif"))
		return 15;
	if (!strcmp(b->name, "nul.kgml"))
		return 40;
	return strlen(b->text);
}

static void test_malformed_inputs(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct bad *b = &cases[i];
		gdb_graph_import_opts o;
		char err[1024] = "", want[256];
		int rc;

		gdb_graph_import_opts_init(&o);
		o.strict = 1;
		if (b->fmt) {
			o.format = gdb_graph_source_find(b->fmt);
			CHECK(o.format > 0, "format %s", b->fmt);
		}
		rc = import_text(&o, b->name, b->text, text_len(b), err,
				 sizeof(err));
		snprintf(want, sizeof(want), "%s:%u: ", b->name, b->line);
		CHECK(rc < 0, "%s was accepted", b->name);
		CHECK(!strncmp(err, want, strlen(want)) &&
			  strstr(err, b->reason),
		      "%s: got '%s', want '%s...%s'", b->name, err, want,
		      b->reason);
	}
}

/* More than GF_MAX_FIELDS (4096) fields, and a nesting past 256. */
static void test_limits(void)
{
	static const char *const fmts[] = {"sif", "gmt", "tsv"};
	static const char *const why[] = {"more than 4096 fields",
					  "gene set with more than 4094 genes",
					  "more than 4096 columns"};
	size_t n = 5000 * 2 + 16, k;
	char *t = malloc(n), err[1024];
	gdb_graph_import_opts o;

	if (!t) {
		FAIL("malloc");
		return;
	}
	for (size_t f = 0; f < 3; f++) {
		k = (size_t)sprintf(t, "a\tb\tc\nn");
		for (int i = 0; i < 5000; i++) {
			t[k++] = '\t';
			t[k++] = 'x';
		}
		t[k++] = '\n';
		gdb_graph_import_opts_init(&o);
		o.format = gdb_graph_source_find(fmts[f]);
		err[0] = 0;
		CHECK(import_text(&o, "wide", t, k, err, sizeof(err)) < 0 &&
			  !strncmp(err, "wide:2: ", 8) && strstr(err, why[f]),
		      "%s: '%s'", fmts[f], err);
	}
	k = (size_t)sprintf(t, "<pathway name='p'>\n");
	for (int i = 0; i < 300; i++)
		k += (size_t)sprintf(t + k, "<g>");
	gdb_graph_import_opts_init(&o);
	CHECK(import_text(&o, "deep.kgml", t, k, err, sizeof(err)) < 0 &&
		  !strncmp(err, "deep.kgml:2: ", 13) &&
		  strstr(err, "nested deeper than 256"),
	      "deep: '%s'", err);
	free(t);
}

/* What cannot be guessed is refused before anything is parsed, and says
 * why: binary bytes, several candidates, none. */
static void test_guess_failures(void)
{
	static const struct {
		const char *name, *text, *want;
	} g[] = {
	    {"bin.dat", "\x01\x02\x03 data\n",
	     "bin.dat: cannot tell the "
	     "format (binary data)"},
	    {"amb.txt", "TP53\tMDM2\tactivation\nMDM2\tCDKN1A\tinhibition\n",
	     "amb.txt: cannot tell the format"},
	    {"one.txt", "justoneword\n", "one.txt: cannot tell the format"},
	};
	gdb_graph_import_opts o;
	char err[1024];

	gdb_graph_import_opts_init(&o);
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		err[0] = 0;
		CHECK(import_text(&o, g[i].name, g[i].text, strlen(g[i].text),
				  err, sizeof(err)) < 0 &&
			  !strncmp(err, g[i].want, strlen(g[i].want)) &&
			  strstr(err, "--format"),
		      "%s: '%s'", g[i].name, err);
	}
	/* --format string on a file that is no STRING table */
	o.format = GDB_GRAPH_SRC_STRING;
	CHECK(import_text(&o, "x.txt", "a b c\n", 6, err, sizeof(err)) < 0 &&
		  !strncmp(err, "x.txt:1: not a STRING file", 26),
	      "string: '%s'", err);
}

/* Options: bad --columns, --species, TSV values and header names. */
static void test_tsv_options(void)
{
	static const struct {
		const char *cols, *text;
		unsigned line;
		const char *want;
	} t[] = {
	    {"source=1,target=2,confidence=3", "a\tb\t1.5\n", 1,
	     "confidence '1.5' is not a number in [0,1]"},
	    {"source=1,target=2,directed=3", "a\tb\tmaybe\n", 1,
	     "directed: expected true/false, found 'maybe'"},
	    {"source=1,target=4", "a\tb\tc\n", 1,
	     "expected at least 4 columns, found 3"},
	    {"source=from,target=to", "a\tb\nx\ty\n", 1,
	     "--columns: no column named 'from' in the header"},
	};
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	char err[1024], want[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gdb_graph_import_opts_init(&o);
		o.format = GDB_GRAPH_SRC_TSV;
		o.columns = t[i].cols;
		err[0] = 0;
		snprintf(want, sizeof(want), "c.tsv:%u: ", t[i].line);
		CHECK(import_text(&o, "c.tsv", t[i].text, strlen(t[i].text),
				  err, sizeof(err)) < 0 &&
			  !strncmp(err, want, strlen(want)) &&
			  strstr(err, t[i].want),
		      "%s: '%s'", t[i].cols, err);
	}
	gdb_graph_import_opts_init(&o);
	o.columns = "source=1,target=0";
	CHECK(gdb_graph_import_new(&o, &im, err, sizeof(err)) == GDB_EFORMAT &&
		  strstr(err, "key=N or key=NAME"),
	      "target=0: '%s'", err);
	o.columns = "source";
	CHECK(gdb_graph_import_new(&o, &im, err, sizeof(err)) == GDB_EFORMAT,
	      "a key without a value was accepted");
	gdb_graph_import_opts_init(&o);
	o.species = "96o6"; /* a name may be any text, a number not */
	CHECK(gdb_graph_import_new(&o, &im, err, sizeof(err)) == GDB_EFORMAT &&
		  strstr(err, "--species '96o6'"),
	      "species: '%s'", err);
}

/* Several inputs: each error names its own input. */
static void test_across_inputs(void)
{
	static const struct {
		const char *a, *b, *bname;
		unsigned line;
		const char *want;
	} t[] = {
	    /* a second links file without the first one's score columns
	     * (its edges were stored with zeros for them), with others,
	     * and score columns after edges that have none */
	    {"protein1 protein2 neighborhood combined_score\nA B 1 2\n",
	     "protein1 protein2 combined_score\nC D 5\n", "b.txt", 1,
	     "score columns '' differ from an earlier file's "
	     "'neighborhood'"},
	    {"protein1 protein2 neighborhood combined_score\nA B 1 2\n",
	     "protein1 protein2 fusion combined_score\nC D 5 6\n", "b.txt", 1,
	     "score columns 'fusion' differ from an earlier file's "
	     "'neighborhood'"},
	    {"protein1 protein2 combined_score\nA B 2\n",
	     "protein1 protein2 neighborhood combined_score\nC D 5 6\n",
	     "b.txt", 1, "score columns 'neighborhood' differ"},
	    /* STRING taxon prefixes of two species in one network */
	    {"protein1 protein2 combined_score\n9606.A 9606.B 900\n",
	     "protein1 protein2 combined_score\n10090.C 10090.D 900\n", "b.txt",
	     2, "the file says species 10090"},
	    /* protein.info with a row of one field */
	    {"protein1 protein2 combined_score\nA B 900\n",
	     "#string_protein_id\tpreferred_name\tprotein_size\n"
	     "A\tgeneA\t100\nB\n",
	     "b.txt", 3, "expected 'protein<TAB>preferred_name"},
	    /* aliases with a row of one field */
	    {"protein1 protein2 combined_score\nA B 900\n",
	     "#string_protein_id\talias\tsource\nA\ta1\tx\nB\n", "b.txt", 3,
	     "expected 'protein<TAB>alias<TAB>source'"},
	};
	gdb_graph_import_opts o;
	char err[1024], want[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gdb_graph_import *im = NULL;
		gdb_graph_mem_input m[2];
		gdb_graph_input in[2];
		int rc = -1;

		gdb_graph_import_opts_init(&o);
		gdb_graph_input_mem(&in[0], "a.txt", &m[0], t[i].a,
				    strlen(t[i].a));
		gdb_graph_input_mem(&in[1], t[i].bname, &m[1], t[i].b,
				    strlen(t[i].b));
		err[0] = 0;
		if (gdb_graph_import_new(&o, &im, err, sizeof(err)) == 0)
			rc = gdb_graph_import_inputs(im, in, 2, err,
						     sizeof(err));
		gdb_graph_import_free(im);
		snprintf(want, sizeof(want), "%s:%u: ", t[i].bname, t[i].line);
		CHECK(rc < 0 && !strncmp(err, want, strlen(want)) &&
			  strstr(err, t[i].want),
		      "case %zu: '%s'", i, err);
	}
	/* --species and the files must agree (docs/GRAPH.md) */
	gdb_graph_import_opts_init(&o);
	o.species = "mouse";
	err[0] = 0;
	{
		static const char k[] =
		    "<pathway name='path:hsa1' org='hsa'>\n</pathway>\n";
		CHECK(import_text(&o, "hsa.kgml", k, strlen(k), err,
				  sizeof(err)) < 0 &&
			  !strncmp(err,
				   "hsa.kgml:1: the file says species 9606",
				   38) &&
			  strstr(err, "--species says 10090"),
		      "--species mouse on a human map: '%s'", err);
	}
}

/* Two inputs (names give the format); @return the import's result, the
 * edges read in *nedges. */
static int import_two(const char *an, const char *a, const char *bn,
		      const char *b, uint64_t *nedges, char *err, size_t errlen)
{
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	gdb_graph_mem_input m[2];
	gdb_graph_input in[2];
	int rc;

	gdb_graph_import_opts_init(&o);
	gdb_graph_input_mem(&in[0], an, &m[0], a, strlen(a));
	gdb_graph_input_mem(&in[1], bn, &m[1], b, strlen(b));
	err[0] = 0;
	if (gdb_graph_import_new(&o, &im, err, errlen) < 0)
		return 1;
	rc = gdb_graph_import_inputs(im, in, 2, err, errlen);
	*nedges = gdb_graph_builder_nedges(gdb_graph_import_builder(im));
	gdb_graph_import_free(im);
	return rc;
}

/* STRING links split over files with the same score columns are one
 * network (they were refused: "score channels differ"). */
static void test_links_in_parts(void)
{
	static const char h[] = "protein1 protein2 neighborhood fusion "
				"combined_score\n";
	char a[256], b[256], err[1024];
	uint64_t m = 0;

	snprintf(a, sizeof(a), "%sA B 1 2 300\nA C 0 0 400\n", h);
	snprintf(b, sizeof(b), "%sB C 5 6 900\n", h);
	CHECK(import_two("part1.txt", a, "part2.txt", b, &m, err,
			 sizeof(err)) == 0 &&
		  m == 3,
	      "two parts: %llu edges, '%s'", (unsigned long long)m, err);
	CHECK(import_two("e.sif", "A pp B\n", "part2.txt", b, &m, err,
			 sizeof(err)) < 0 &&
		  !strncmp(err,
			   "part2.txt:1: score columns 'neighborhood "
			   "fusion' after edges of an earlier file",
			   71),
	      "SIF then STRING with scores: '%s'", err);
}

/* STRING actions (one edge per directional pair, from the acting side),
 * then protein.info renaming and aliases, as docs/GRAPH.md says. */
static void test_string_actions_info_aliases(void)
{
	static const char act[] =
	    "item_id_a\titem_id_b\tmode\taction\tis_directional\t"
	    "a_is_acting\tscore\n"
	    "9606.P1\t9606.P2\tactivation\tactivation\tt\tt\t900\n"
	    "9606.P2\t9606.P1\tactivation\tactivation\tt\tf\t900\n"
	    "9606.P1\t9606.P3\tbinding\t\tf\tf\t500\n";
	static const char info[] =
	    "#string_protein_id\tpreferred_name\tprotein_size\n"
	    "9606.P1\tTP53\t393\n9606.P9\tNOTINLINKS\t10\n";
	static const char alias[] = "#string_protein_id\talias\tsource\n"
				    "9606.P2\tMDM2_HUMAN\tUniProt_ID Ensembl\n"
				    "9606.P3\t-\tx\n";
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	gdb_graph_mem_input m[3];
	gdb_graph_input in[3];
	char err[1024] = "";

	gdb_graph_import_opts_init(&o);
	/* given out of order: edges are read first, then info, aliases */
	gdb_graph_input_mem(&in[0], "p.aliases.txt", &m[0], alias,
			    strlen(alias));
	gdb_graph_input_mem(&in[1], "p.info.txt", &m[1], info, strlen(info));
	gdb_graph_input_mem(&in[2], "p.actions.txt", &m[2], act, strlen(act));
	if (gdb_graph_import_new(&o, &im, err, sizeof(err)) < 0 ||
	    gdb_graph_import_inputs(im, in, 3, err, sizeof(err)) < 0) {
		FAIL("actions: '%s'", err);
	} else {
		gdb_graph_builder *b = gdb_graph_import_builder(im);
		CHECK(gdb_graph_builder_nedges(b) == 2 &&
			  gdb_graph_builder_nnodes(b) == 3,
		      "%llu edges, %u nodes",
		      (unsigned long long)gdb_graph_builder_nedges(b),
		      gdb_graph_builder_nnodes(b));
		CHECK(gdb_graph_node_find(b, "TP53") >= 0 &&
			  gdb_graph_node_find(b, "NOTINLINKS") < 0,
		      "protein.info names");
	}
	gdb_graph_import_free(im);
}

/* XML character references and the five named entities decode to UTF-8
 * (XML 1.0 section 4.1): species ids written escaped are found by their
 * decoded names; references XML forbids are refused. */
static void test_xml_entities(void)
{
	static const char doc[] =
	    "<sbml>\n<model id='m'>\n<listOfSpecies>\n"
	    "<species id='a&amp;b&lt;&gt;&quot;&apos;'/>\n"
	    "<species id='&#65;&#x42;'/>\n"
	    "<species id='&#xe9;t&#233;'/>\n"
	    "<species id='&#x7FF;&#x20AC;&#x1F600;'/>\n"
	    "</listOfSpecies>\n</model>\n</sbml>\n";
	static const char *const want[] = {
	    "a&b<>\"'", "AB", "\xc3\xa9t\xc3\xa9",
	    "\xdf\xbf\xe2\x82\xac\xf0\x9f\x98\x80"};
	static const char *const bad[] = {"&#0;", "&#x110000;", "&#12a;",
					  "&verylongname;", "&amp"};
	gdb_graph_import_opts o;
	gdb_graph_import *im = NULL;
	gdb_graph_mem_input m;
	gdb_graph_input in;
	char err[1024] = "", t[256];

	gdb_graph_import_opts_init(&o);
	gdb_graph_input_mem(&in, "ent.sbml", &m, doc, strlen(doc));
	if (gdb_graph_import_new(&o, &im, err, sizeof(err)) < 0 ||
	    gdb_graph_import_inputs(im, &in, 1, err, sizeof(err)) < 0) {
		FAIL("entities: '%s'", err);
	} else {
		gdb_graph_builder *b = gdb_graph_import_builder(im);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			CHECK(gdb_graph_node_find(b, want[i]) >= 0,
			      "no species '%s'", want[i]);
	}
	gdb_graph_import_free(im);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t), "<sbml>\n<model id='%s'/>\n</sbml>\n",
			 bad[i]);
		err[0] = 0;
		CHECK(import_text(&o, "bad.sbml", t, strlen(t), err,
				  sizeof(err)) < 0 &&
			  !strncmp(err,
				   "bad.sbml:2: bad entity in attribute "
				   "'id' of <model>",
				   50),
		      "%s: '%s'", bad[i], err);
	}
}

int main(void)
{
	test_malformed_inputs();
	test_limits();
	test_guess_failures();
	test_tsv_options();
	test_across_inputs();
	test_links_in_parts();
	test_xml_entities();
	test_string_actions_info_aliases();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return T_EXIT_FAIL;
	}
	printf("graph errors: %zu malformed inputs refused, all checks "
	       "passed\n",
	       NCASES);
	return T_EXIT_PASS;
}
