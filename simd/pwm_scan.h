/*
 * simd/pwm_scan.h - the vector PWM scan (gdb_motif_kernels.pwm_scan) as a
 * template, as motif_combine.h and align_striped.h are: a level file
 * defines the vector type and a few operations, includes this file, and
 * gets pwm_scan_<SFX>(). It is included once per level, defines
 * functions, and undefines its parameters.
 *
 * Both scans go through the sequence in chunks of GDB_PWM_CHUNK window
 * starts (analysis_int.h), first turning the chunk's bases into a level's
 * codes, then adding one column's scores for a vector of consecutive
 * windows at a time, and reporting the lanes over the threshold.
 *
 * 16-bit scan (levels that define L16): L16 windows a vector whenever
 * gdb_pwm_narrow() says it is exact; a column's lookup is one byte shuffle
 * of its 16-byte table (struct gdb_pwm16) by the windows' index pairs.
 * 32-bit scan: L32 windows a vector, for matrices or thresholds the
 * 16-bit lanes cannot hold exactly; a column's lookup is the level's
 * (a shuffle or a permute of the column's entries by the codes).
 *
 * Parameters:
 *   SFX  name suffix            TGT  target attribute      V  vector type
 *   L32  32-bit lanes           PAD  the code of a non-ACGT byte past the
 *                                    chunk (the level's encoding)
 *   CODES(s, len, codes)  the level's code of each byte s[0, len)
 *   COL(p, row)           a 32-bit column's table from p->fw[j] / rc[j]
 *   LOOK(tab, codes)      V: the column's scores of L32 windows whose
 *                         bases' codes start at codes (uint8_t *)
 *   ADD32(a, b)  GT32(a, b): lanes a > b as a bit mask   SET32(x)
 *   STORE(p, v)  unaligned store
 * and for the 16-bit scan (optional):
 *   L16  16-bit lanes          TAB16(row)  a column's table (int16_t[8])
 *   IDX16(s, len, idx)  gdb_pwm_idx16() of s[i] into idx[i] for the
 *                       vector-sized part of [0, len); returns where it
 *                       stopped (the template fills the rest)
 *   LOAD16(p)  SHUF16(tab, ix)  ADDS16(a, b)  ANYGT16(a, b, c, t): any
 *   lane of a or b > t
 */

#define PW_CAT2(a, b) a##b
#define PW_CAT(a, b) PW_CAT2(a, b)
#define PW_SCAN PW_CAT(pwm_scan_, SFX)
#define PW_SCAN32 PW_CAT(pwm_scan32_, SFX)
#define PW_SCAN16 PW_CAT(pwm_scan16_, SFX)
#define PW_EMIT32 PW_CAT(pwm_emit32_, SFX)

/* The hits of one vector of 32-bit scores: lanes set in mf / mr. */
static inline void PW_EMIT32(gdb_pwm_hit *hits, size_t cap, int64_t *nh,
			     uint64_t pos, const int32_t *sf, const int32_t *sr,
			     unsigned mf, unsigned mr)
{
	unsigned any = mf | mr;

	while (any) {
		unsigned l = (unsigned)__builtin_ctz(any);

		any &= any - 1;
		if (mf >> l & 1)
			gdb_pwm_emit(hits, cap, nh, pos + l, sf[l], '+');
		if (mr >> l & 1)
			gdb_pwm_emit(hits, cap, nh, pos + l, sr[l], '-');
	}
}

TGT static int64_t PW_SCAN32(const gdb_pwm *p, const char *seq, size_t n,
			     int32_t threshold, unsigned strands,
			     gdb_pwm_hit *hits, size_t cap)
{
	const unsigned m = p->len, all = (1u << L32) - 1;
	const unsigned fw = strands & GDB_STRAND_FWD ? all : 0;
	const unsigned rv = strands & GDB_STRAND_REV ? all : 0;
	V cf[GDB_PWM_MAXLEN], cr[GDB_PWM_MAXLEN], vt;
	uint8_t codes[GDB_PWM_CHUNK + GDB_PWM_MAXLEN + 2 * L32];
	int32_t sfa[L32], sra[L32];
	int64_t nh = 0;
	size_t base;
	unsigned j;

	for (j = 0; j < m; j++) {
		cf[j] = COL(p, p->fw[j]);
		cr[j] = COL(p, p->rc[j]);
	}
	vt = SET32(threshold == INT32_MIN ? INT32_MIN : threshold - 1);
	for (base = 0; base + m <= n; base += GDB_PWM_CHUNK) {
		size_t len, i, npos = gdb_pwm_chunk(n, m, base, &len);

		CODES(seq + base, len, codes);
		memset(codes + len, PAD, sizeof(codes) - len);
		for (i = 0; i < npos; i += L32) {
			V sf = SET32(0), sr = sf;
			unsigned mf, mr, valid;

			for (j = 0; j < m; j++) {
				sf = ADD32(sf, LOOK(cf[j], codes + i + j));
				sr = ADD32(sr, LOOK(cr[j], codes + i + j));
			}
			valid = npos - i >= L32 ? all : (1u << (npos - i)) - 1;
			mf = GT32(sf, vt) & valid & fw;
			mr = GT32(sr, vt) & valid & rv;
			if (!(mf | mr))
				continue;
			STORE(sfa, sf);
			STORE(sra, sr);
			PW_EMIT32(hits, cap, &nh, base + i, sfa, sra, mf, mr);
		}
	}
	return nh;
}

#ifdef L16
TGT static int64_t PW_SCAN16(const gdb_pwm *p, const struct gdb_pwm16 *t,
			     const char *seq, size_t n, unsigned strands,
			     gdb_pwm_hit *hits, size_t cap)
{
	const unsigned m = p->len;
	V tf[GDB_PWM_MAXLEN], tr[GDB_PWM_MAXLEN];
	uint16_t idx[GDB_PWM_CHUNK + GDB_PWM_MAXLEN + 2 * L16];
	int16_t sfa[L16], sra[L16];
	int64_t nh = 0;
	size_t base;
	unsigned j;

	for (j = 0; j < m; j++) {
		tf[j] = TAB16(t->fw[j]);
		tr[j] = TAB16(t->rc[j]);
	}
	for (base = 0; base + m <= n; base += GDB_PWM_CHUNK) {
		size_t len, i, npos = gdb_pwm_chunk(n, m, base, &len);

		i = IDX16(seq + base, len, idx);
		gdb_pwm_idx16_fill(seq + base, i, len, idx,
				   sizeof(idx) / sizeof(idx[0]));
		for (i = 0; i < npos; i += L16) {
			V sf = SET32(0), sr = sf;

			for (j = 0; j < m; j++) {
				V ix = LOAD16(idx + i + j);

				sf = ADDS16(sf, SHUF16(tf[j], ix));
				sr = ADDS16(sr, SHUF16(tr[j], ix));
			}
			if (!ANYGT16(sf, sr, t->thr1))
				continue;
			STORE(sfa, sf);
			STORE(sra, sr);
			gdb_pwm_emit16(hits, cap, &nh, base + i, sfa, sra,
				       npos - i < L16 ? (unsigned)(npos - i)
						      : L16,
				       t->thr1, strands);
		}
	}
	return nh;
}
#endif

static int64_t PW_SCAN(const gdb_pwm *p, const char *seq, size_t n,
		       int32_t threshold, unsigned strands, gdb_pwm_hit *hits,
		       size_t cap)
{
	if (p->len < 1 || p->len > GDB_PWM_MAXLEN || !strands ||
	    (strands & ~GDB_STRAND_BOTH))
		return -EINVAL;
#ifdef L16
	{
		struct gdb_pwm16 t16;

		if (gdb_pwm_narrow(p, threshold, &t16))
			return PW_SCAN16(p, &t16, seq, n, strands, hits, cap);
	}
#endif
	return PW_SCAN32(p, seq, n, threshold, strands, hits, cap);
}

#undef PW_CAT2
#undef PW_CAT
#undef PW_SCAN
#undef PW_SCAN32
#undef PW_SCAN16
#undef PW_EMIT32
#undef SFX
#undef TGT
#undef V
#undef L32
#undef PAD
#undef CODES
#undef COL
#undef LOOK
#undef ADD32
#undef GT32
#undef SET32
#undef STORE
#undef L16
#undef TAB16
#undef IDX16
#undef LOAD16
#undef SHUF16
#undef ADDS16
#undef ANYGT16
