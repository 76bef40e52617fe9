/* SPDX-License-Identifier: ISC */
/*
 * One realistic message for every SIP2 code, shared by the parse and build
 * tests; the trailer is added by the tests.
 */

#ifndef TEST_SIP2_SAMPLES_H
#define TEST_SIP2_SAMPLES_H

#include <stdio.h>
#include <string.h>

#include "sip2.h"

#define D1	"20240301    093000"
#define D2	"20240315    235959"
#define PATRON	"AA21000012345678|"
#define ITEM	"AB31000000000001|"

struct sample {
	int		 code;
	const char	*wire;	/* without trailer */
};

static const struct sample samples[] = {
	{ 93, "9300CNkiosk1|COsecret|CPMAIN|" },
	{ 94, "941" },
	{ 99, "990 402.00" },
	{ 98, "98YYYYNN100003" D1 "2.00AOMAIN|AMMain Library|"
	    "BXYYYYYYYYYYYYYYYY|ANKIOSK1|AFWelcome|" },
	{ 23, "23001" D1 "AOMAIN|" PATRON "ACtermpw|AD1234|" },
	{ 24, "24              001" D1 "AOMAIN|" PATRON "AEJane Doe|BLY|"
	    "CQY|BHUSD|BV0.00|AFHello|" },
	{ 63, "63001" D1 "Y         AOMAIN|" PATRON "AD1234|BP1|BQ5|" },
	{ 64, "64              001" D1 "000100000002000000000000AOMAIN|"
	    PATRON "AEJane Doe|BZ0010|CA0005|CB0050|BLY|CQY|"
	    "AS31000000000009|AU31000000000001|AU31000000000002|"
	    "BDMain St 1|BEjane@example.org|BF555-0100|PCADULT|AFHello|" },
	{ 11, "11YN" D1 D2 "AOMAIN|" PATRON ITEM "ACtermpw|AD1234|BON|BIN|" },
	{ 12, "121YNY" D1 "AOMAIN|" PATRON ITEM "AJThe Hobbit|AH" D2 "|"
	    "CK001|AFDue 15 March|" },
	{ 9, "09N" D1 D1 "APMAIN|AOMAIN|" ITEM "ACtermpw|" },
	{ 10, "101YNN" D1 "AOMAIN|" ITEM "AQMAIN|AJThe Hobbit|CLA1|"
	    "CTBRANCH|CV04|" },
	{ 1, "01N" D1 "AOMAIN|ALCard retained|" PATRON "ACtermpw|" },
	{ 35, "35" D1 "AOMAIN|" PATRON "AD1234|" },
	{ 36, "36Y" D1 "AOMAIN|" PATRON "AFGoodbye|" },
	{ 37, "37" D1 "0400USDBV2.50|AOMAIN|" PATRON "CGfee-17|BKtx-9|" },
	{ 38, "38Y" D1 "AOMAIN|" PATRON "BKtx-9|" },
	{ 17, "17" D1 "AOMAIN|" ITEM },
	{ 18, "18030101" D1 ITEM "AJThe Hobbit|AQMAIN|CK001|" },
	{ 19, "19" D1 "AOMAIN|" ITEM "CHnew props|" },
	{ 20, "201" D1 ITEM "AJThe Hobbit|" },
	{ 25, "25" D1 "AOMAIN|" PATRON },
	{ 26, "26              001" D1 "AOMAIN|" PATRON "AEJane Doe|BLY|" },
	{ 15, "15+" D1 "BW20240601    000000|BSBRANCH|BY2|AOMAIN|" PATRON
	    ITEM },
	{ 16, "161N" D1 "BW20240601    000000|BR1|BSBRANCH|AOMAIN|" PATRON
	    ITEM },
	{ 29, "29NN" D1 D2 "AOMAIN|" PATRON ITEM },
	{ 30, "301YNN" D1 "AOMAIN|" PATRON ITEM "AJThe Hobbit|AH" D2 "|" },
	{ 65, "65" D1 "AOMAIN|" PATRON },
	{ 66, "6610002000020240301    093000AOMAIN|BM31000000000001|"
	    "BM31000000000002|AFDone|" },
	{ 97, "97" },
	{ 96, "96" },
};

#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))

/*
 * Write a sample with its trailer: AY seq AZ and the checksum, or for
 * 96 and 97 without a sequence, AZ alone.
 */
static inline size_t
sample_with_trailer(const struct sample *s, int seq, char *buf, size_t size)
{
	size_t	 n;

	if (seq >= 0)
		n = (size_t)snprintf(buf, size, "%sAY%dAZ", s->wire, seq);
	else
		n = (size_t)snprintf(buf, size, "%sAZ", s->wire);
	n += (size_t)snprintf(buf + n, size - n, "%04X",
	    sip2_checksum(buf, n));
	return (n);
}

/* Return the index of the first variable field in a sample's wire. */
static inline size_t
sample_fixed_end(const struct sample *s)
{
	const struct sip2_spec	*spec = sip2_spec_find(s->code);
	size_t			 i, n = 2;

	for (i = 0; i < spec->nfixed; i++)
		n += spec->fixed[i].width;
	return (n);
}

#endif /* TEST_SIP2_SAMPLES_H */
