/*
 * tests/fuzz/variants_chunk.c - libFuzzer target for the variant chunk
 * decoders (variants/cursor.c, gtcodec.c, record.c): the input is one
 * stored chunk (FORMAT.md "Chunk") of a set whose tables are fixed here
 * (3 samples; keys PASS, INFO DP/AF/DB/S, FORMAT GT/AD/GL/X; 64 Ki
 * reference bases). Every site is decoded with its genotypes and built
 * into an htslib record, which htslib then formats (and the int8 GT
 * values must equal the int32 ones narrowed). Random bytes must be
 * refused (GDB_ECORRUPT) or decoded, never read or written out of
 * bounds. Seeds: tests/fuzz/corpus/variants_chunk/, cut from a store by
 * tests/fuzz/make_variant_seeds.py.
 *
 *   clang -fsanitize=fuzzer,address ...  (make fuzz)
 *   build/fuzz/variants_chunk corpus/...  (make test replays the seeds)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "variants/variants_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS 3
#define REF_LEN 65536

static const char *const HDR =
	"##fileformat=VCFv4.2\n"
	"##FILTER=<ID=PASS,Description=\"All filters passed\">\n"
	"##contig=<ID=c1,length=65536>\n"
	"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n"
	"##INFO=<ID=AF,Number=A,Type=Float,Description=\"a\">\n"
	"##INFO=<ID=DB,Number=0,Type=Flag,Description=\"b\">\n"
	"##INFO=<ID=S,Number=1,Type=String,Description=\"s\">\n"
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"g\">\n"
	"##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"a\">\n"
	"##FORMAT=<ID=GL,Number=G,Type=Float,Description=\"l\">\n"
	"##FORMAT=<ID=X,Number=1,Type=String,Description=\"x\">\n"
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n";

static struct fixture {
	gdb_vset v;
	vs_chunk chunk;
	vs_contig contig;
	vs_key keys[9];
	char *ref;
} F;

static void setup(void)
{
	static const struct {
		uint8_t kind;
		const char *name;
	} k[9] = {{VKEY_FILTER, "PASS"}, {VKEY_INFO, "DP"},   {VKEY_INFO, "AF"},
		  {VKEY_INFO, "DB"},	 {VKEY_INFO, "S"},    {VKEY_FORMAT, "GT"},
		  {VKEY_FORMAT, "AD"},	 {VKEY_FORMAT, "GL"}, {VKEY_FORMAT, "X"}};
	char *txt = strdup(HDR);

	F.v.name = (char *)"fuzz";
	F.v.nsamples = NS;
	F.v.group = NS;
	F.v.ncontigs = F.v.nchunks = 1;
	F.v.nkeys = 9;
	F.v.chunks = &F.chunk;
	F.v.contigs = &F.contig;
	F.v.keys = F.keys;
	F.v.hdr = bcf_hdr_init("r");
	bcf_hdr_parse(F.v.hdr, txt);
	free(txt);
	F.contig.name = (char *)"c1";
	F.contig.length = REF_LEN;
	F.contig.hdr_rid = 0;
	F.ref = malloc(REF_LEN);
	for (int i = 0; i < REF_LEN; i++)
		F.ref[i] = "ACGT"[(i * 7 + i / 3) & 3];
	F.v.ref_mem = F.ref;
	for (int i = 0; i < 9; i++) {
		F.keys[i].kind = k[i].kind;
		F.keys[i].name = k[i].name;
		F.keys[i].hdr_id = bcf_hdr_id2int(F.v.hdr, BCF_DT_ID, k[i].name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	int want[1] = {1};
	vs_subset all = {NULL, NS, NULL};
	vs_cursor c;
	bcf1_t *rec;
	kstring_t ks = {0, 0, NULL};

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 8)
		return 0;
	F.chunk.nsites = gdb_get_le32(data);
	if (F.chunk.nsites == 0 || F.chunk.nsites > VS_CHUNK_SITES)
		return 0;
	F.chunk.first = 0;
	F.chunk.last = REF_LEN;
	rec = bcf_init();
	if (vs_cursor_open_mem(&c, &F.v, 0, data, size, want) == 0)
		while (vs_cursor_next(&c, 1) == 1) {
			int32_t gt[2 * NS];
			int8_t g8[2 * NS], n8[2 * NS];
			vs_cursor_gt(&c, NULL, NS, NULL, gt);
			/* the int8 twin agrees with the narrowed int32 one */
			if (vs_cursor_gt8(&c, NULL, NS, NULL, g8) == 0 &&
			    (vs_gt_narrow(gt, 2 * NS, n8) ||
			     memcmp(g8, n8, sizeof(g8))))
				abort();
			if (vs_record(&c, F.v.hdr, &all, 1, rec) < 0)
				break;
			ks.l = 0;
			if (vcf_format(F.v.hdr, rec, &ks) < 0)
				break;
		}
	vs_cursor_close(&c);
	bcf_destroy(rec);
	free(ks.s);
	return 0;
}
