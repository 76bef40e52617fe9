/* SPDX-License-Identifier: ISC */
/*
 * SIP2 dates: the 18-character YYYYMMDDZZZZHHMMSS form, and the due dates
 * ILSes write in whatever form they like.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sip2.h"

#define DATE_LOCAL	100	/* zone "offset" meaning local time */

/* The pieces of a date before it becomes a time_t. */
struct date_parts {
	int	 year, mon, day, hour, min, sec;
	int	 zone;		/* offset east of UTC in minutes, or LOCAL */
};

static const int date_cum[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
};

static int
date_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

/* Return the days from 1970-01-01 to a date, Gregorian, year >= 1. */
static int64_t
date_days(int y, int mon, int day)
{
	int64_t	 before = y - 1, days;

	/* Leap days before the year, less those before 1970. */
	days = before / 4 - before / 100 + before / 400 - 477;
	days += (int64_t)365 * (y - 1970) + date_cum[mon - 1] + day - 1;
	if (mon > 2 && date_leap(y))
		days++;
	return (days);
}

static int
date_valid(const struct date_parts *d)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (d->year < 1 || d->year > 9999 || d->mon < 1 || d->mon > 12 ||
	    d->day < 1 || d->day > mdays[d->mon - 1] || d->hour > 23 ||
	    d->min > 59 || d->sec > 60)
		return (0);
	if (d->mon == 2 && d->day == 29 && !date_leap(d->year))
		return (0);
	return (1);
}

/* Turn checked parts into a time_t; -1 if that cannot hold it. */
static int
date_make(const struct date_parts *d, time_t *t)
{
	struct tm	 tm;
	int64_t		 v;
	time_t		 r;

	if (!date_valid(d))
		return (-1);
	if (d->zone == DATE_LOCAL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = d->year - 1900;
		tm.tm_mon = d->mon - 1;
		tm.tm_mday = d->day;
		tm.tm_hour = d->hour;
		tm.tm_min = d->min;
		tm.tm_sec = d->sec;
		tm.tm_isdst = -1;
		if ((r = mktime(&tm)) == (time_t)-1)
			return (-1);
		*t = r;
		return (0);
	}
	v = date_days(d->year, d->mon, d->day) * 86400 + d->hour * 3600 +
	    d->min * 60 + d->sec - (int64_t)d->zone * 60;
	if ((int64_t)(time_t)v != v)
		return (-1);
	*t = (time_t)v;
	return (0);
}

/* Read n digits at *s into *v and move past them; -1 if they are not. */
static int
date_num(const char **s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return (-1);
		*v = *v * 10 + (*s)[i] - '0';
	}
	*s += n;
	return (0);
}

/* Read one or two digits at *s into *v and move past them. */
static int
date_num12(const char **s, int *v)
{
	if ((*s)[0] < '0' || (*s)[0] > '9')
		return (-1);
	if ((*s)[1] >= '0' && (*s)[1] <= '9')
		return (date_num(s, 2, v));
	return (date_num(s, 1, v));
}

/* Return a military zone letter's offset in minutes, or -1 if none. */
static int
date_military(char c, int *zone)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'I')
		*zone = (c - 'A' + 1) * 60;
	else if (c >= 'K' && c <= 'M')
		*zone = (c - 'K' + 10) * 60;
	else if (c >= 'N' && c <= 'Y')
		*zone = -(c - 'N' + 1) * 60;
	else if (c == 'Z')
		*zone = 0;
	else if (c == 'J')
		*zone = DATE_LOCAL;	/* J is the observer's own time */
	else
		return (-1);
	return (0);
}

/*
 * Split an 18-character SIP2 date.  With strict unset, a zone that is not
 * blanks and a letter is taken as local time.
 */
static int
date_sip2(const char *s, struct date_parts *d, int strict)
{
	const char	*z = s + 8;

	if (date_num(&s, 4, &d->year) == -1 || date_num(&s, 2, &d->mon) == -1 ||
	    date_num(&s, 2, &d->day) == -1)
		return (-1);
	s += 4;
	if (date_num(&s, 2, &d->hour) == -1 || date_num(&s, 2, &d->min) == -1 ||
	    date_num(&s, 2, &d->sec) == -1)
		return (-1);
	if (memcmp(z, "    ", 4) == 0)
		d->zone = DATE_LOCAL;
	else if (memcmp(z, "   ", 3) == 0 && date_military(z[3], &d->zone) == 0)
		;
	else if (strict)
		return (-1);
	else
		d->zone = DATE_LOCAL;
	return (0);
}

/* Write t as an 18-character SIP2 date, local or UTC ("   Z"). */
void
sip2_date_format(time_t t, int utc, char out[19])
{
	struct tm	 tm;
	int		 v[6], w[6] = { 4, 2, 2, 2, 2, 2 }, i, j;
	char		*p = out;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		memset(out, ' ', 18);
		out[18] = '\0';
		return;
	}
	v[0] = tm.tm_year + 1900;
	v[1] = tm.tm_mon + 1;
	v[2] = tm.tm_mday;
	v[3] = tm.tm_hour;
	v[4] = tm.tm_min;
	v[5] = tm.tm_sec;
	for (i = 0; i < 6; i++) {
		if (i == 3) {
			memcpy(p, utc ? "   Z" : "    ", 4);
			p += 4;
		}
		for (j = w[i] - 1; j >= 0; j--) {
			p[j] = (char)('0' + v[i] % 10);
			v[i] /= 10;
		}
		p += w[i];
	}
	out[18] = '\0';
}

/* Parse an 18-character SIP2 date; 18 blanks give 0.  -1 if malformed. */
int
sip2_date_parse(const char *s, time_t *t)
{
	struct date_parts	 d;

	if (s == NULL || strlen(s) != 18)
		return (-1);
	if (strspn(s, " ") == 18) {
		*t = 0;
		return (0);
	}
	if (date_sip2(s, &d, 1) == -1)
		return (-1);
	return (date_make(&d, t));
}

/* Read h[h]:mm[:ss[.frac]] after a date; -1 on anything else. */
static int
date_clock(const char **s, struct date_parts *d)
{
	if (date_num12(s, &d->hour) == -1 || *(*s)++ != ':' ||
	    date_num(s, 2, &d->min) == -1)
		return (-1);
	if (**s == ':') {
		(*s)++;
		if (date_num(s, 2, &d->sec) == -1)
			return (-1);
		if (**s == '.' || **s == ',') {
			(*s)++;
			if (**s < '0' || **s > '9')
				return (-1);
			while (**s >= '0' && **s <= '9')
				(*s)++;
		}
	}
	return (0);
}

/* Read an ISO 8601 zone: Z, +hh, +hhmm or +hh:mm, or nothing. */
static int
date_iso_zone(const char **s, struct date_parts *d)
{
	int	 sign, h, m = 0;

	if (**s == 'Z' || **s == 'z') {
		(*s)++;
		d->zone = 0;
		return (0);
	}
	if (**s != '+' && **s != '-')
		return (0);
	sign = *(*s)++ == '-' ? -1 : 1;
	if (date_num(s, 2, &h) == -1 || h > 14)
		return (-1);
	if (**s == ':')
		(*s)++;
	if (**s >= '0' && **s <= '9' && (date_num(s, 2, &m) == -1 || m > 59))
		return (-1);
	d->zone = sign * (h * 60 + m);
	return (0);
}

/* ISO 8601: YYYY-MM-DD, then T or a space and a time, then a zone. */
static int
date_iso(const char *s, struct date_parts *d, const char **rest)
{
	if (date_num(&s, 4, &d->year) == -1 || *s++ != '-' ||
	    date_num(&s, 2, &d->mon) == -1 || *s++ != '-' ||
	    date_num(&s, 2, &d->day) == -1)
		return (-1);
	if ((*s == 'T' || *s == 't' || *s == ' ') && s[1] >= '0' &&
	    s[1] <= '9') {
		s++;
		if (date_clock(&s, d) == -1 || date_iso_zone(&s, d) == -1)
			return (-1);
	} else
		d->hour = -1;
	*rest = s;
	return (0);
}

/* US: M[M]/D[D]/YYYY, then optionally a space, a time and AM or PM. */
static int
date_us(const char *s, struct date_parts *d, const char **rest)
{
	if (date_num12(&s, &d->mon) == -1 || *s++ != '/' ||
	    date_num12(&s, &d->day) == -1 || *s++ != '/' ||
	    date_num(&s, 4, &d->year) == -1)
		return (-1);
	d->hour = -1;
	if (*s == ' ' && s[1] >= '0' && s[1] <= '9') {
		s++;
		if (date_clock(&s, d) == -1)
			return (-1);
		while (*s == ' ')
			s++;
		if ((s[0] == 'A' || s[0] == 'a' || s[0] == 'P' ||
		    s[0] == 'p') && (s[1] == 'M' || s[1] == 'm')) {
			if (d->hour < 1 || d->hour > 12)
				return (-1);
			if (d->hour == 12)
				d->hour = 0;
			if (s[0] == 'P' || s[0] == 'p')
				d->hour += 12;
			s += 2;
		}
	}
	*rest = s;
	return (0);
}

/* Compact: YYYYMMDD, optionally followed by HHMMSS. */
static int
date_compact(const char *s, struct date_parts *d, const char **rest)
{
	if (date_num(&s, 4, &d->year) == -1 || date_num(&s, 2, &d->mon) == -1 ||
	    date_num(&s, 2, &d->day) == -1)
		return (-1);
	d->hour = -1;
	if (*s >= '0' && *s <= '9') {
		if (date_num(&s, 2, &d->hour) == -1 ||
		    date_num(&s, 2, &d->min) == -1 ||
		    date_num(&s, 2, &d->sec) == -1)
			return (-1);
	}
	*rest = s;
	return (0);
}

/* Clear parts for the next attempt at a form. */
static void
date_fresh(struct date_parts *d)
{
	memset(d, 0, sizeof(*d));
	d->zone = DATE_LOCAL;
}

/*
 * Parse a due date in any common form: SIP2 (a zone it does not know is
 * taken as local), ISO 8601 date or date-time, "YYYY-MM-DD HH:MM",
 * MM/DD/YYYY with an optional time, YYYYMMDD[HHMMSS].  Surrounding blanks
 * are ignored.  A date without a time means the end of that day, local
 * time, since an item due on a day may come back all that day.  Blank
 * input is no date: -1.
 */
int
sip2_date_parse_lenient(const char *s, time_t *t)
{
	static int		(*const forms[])(const char *,
				    struct date_parts *, const char **) = {
		date_iso, date_us, date_compact
	};
	struct date_parts	 d;
	const char		*rest = NULL;
	char			 buf[64];
	size_t			 len, i;

	if (s == NULL)
		return (-1);
	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';

	date_fresh(&d);
	if (len == 18 && date_sip2(buf, &d, 0) == 0)
		return (date_make(&d, t));
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		date_fresh(&d);
		if (forms[i](buf, &d, &rest) == 0 && *rest == '\0')
			break;
	}
	if (i == sizeof(forms) / sizeof(forms[0]))
		return (-1);
	if (d.hour == -1) {
		d.hour = 23;
		d.min = 59;
		d.sec = 59;
	}
	return (date_make(&d, t));
}
