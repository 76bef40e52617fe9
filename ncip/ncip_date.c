/* SPDX-License-Identifier: ISC */
/*
 * NCIP dates: xs:dateTime out, xs:dateTime and the ISO 8601 forms peers
 * really send in, all without touching the time zone database.
 */

#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ncip.h"

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* Read exactly n digits at *p; -1 if they are not there. */
static int
digits(const char **p, int n)
{
	int	 v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return (-1);
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return (v);
}

static int
days_in_month(int y, int m)
{
	static const int	 mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (mdays[m - 1]);
}

/* Read a date in xs:dateTime or a common ISO 8601 form. */
int
ncip_date_parse(const char *s, struct ncip_date *d)
{
	const char	*p = s;
	int		 y, mo, da, h = 0, mi = 0, se = 0, off = 0, sign;
	int		 oh, om, nozone = 1, basic;
	int64_t		 t;

	memset(d, 0, sizeof(*d));
	d->text = s;
	if (s == NULL)
		return (-1);
	while (isspace((unsigned char)*p))
		p++;

	/* 2024-03-01 or 20240301. */
	if ((y = digits(&p, 4)) < 0)
		return (-1);
	basic = *p != '-';
	if (!basic)
		p++;
	if ((mo = digits(&p, 2)) < 0)
		return (-1);
	if (!basic && *p++ != '-')
		return (-1);
	if ((da = digits(&p, 2)) < 0)
		return (-1);
	if (y < 1 || mo < 1 || mo > 12 || da < 1 ||
	    da > days_in_month(y, mo))
		return (-1);

	/* Thh:mm[:ss[.fff]] or a space in place of the T. */
	if (*p == 'T' || *p == 't' || (*p == ' ' &&
	    isdigit((unsigned char)p[1]))) {
		p++;
		if ((h = digits(&p, 2)) < 0)
			return (-1);
		if (*p == ':')
			p++;
		if ((mi = digits(&p, 2)) < 0)
			return (-1);
		if (*p == ':' || isdigit((unsigned char)*p)) {
			if (*p == ':')
				p++;
			if ((se = digits(&p, 2)) < 0)
				return (-1);
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return (-1);
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		/* 24:00:00 is midnight at the end of the day. */
		if (h > 24 || mi > 59 || se > 60 ||
		    (h == 24 && (mi != 0 || se != 0)))
			return (-1);
		if (se == 60)
			se = 59;
	}

	/* Z, +hh:mm, -hhmm, +hh, or nothing. */
	if (*p == 'Z' || *p == 'z') {
		nozone = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if ((oh = digits(&p, 2)) < 0)
			return (-1);
		om = 0;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && (om = digits(&p, 2)) < 0)
			return (-1);
		if (oh > 14 || om > 59)
			return (-1);
		off = sign * (oh * 3600 + om * 60);
		nozone = 0;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return (-1);

	t = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se -
	    off;
	if (sizeof(time_t) < 8 && (t > INT32_MAX || t < INT32_MIN))
		return (-1);
	d->t = (time_t)t;
	d->set = 1;
	d->nozone = nozone;
	return (0);
}

/* Write t as YYYY-MM-DDTHH:MM:SSZ. */
int
ncip_date_format(time_t t, char buf[32])
{
	struct tm	 tm;
	char		 tmp[96];

	buf[0] = '\0';
	/* Years outside 1-9999 have no four-digit xs:dateTime spelling. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 1 - 1900 ||
	    tm.tm_year > 9999 - 1900)
		return (-1);
	(void)snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	/* Years 1-9999 make exactly 20 characters. */
	memcpy(buf, tmp, 21);
	return (0);
}

/* Return a set date for t. */
struct ncip_date
ncip_date_at(time_t t)
{
	struct ncip_date	 d;

	memset(&d, 0, sizeof(d));
	d.set = 1;
	d.t = t;
	return (d);
}
