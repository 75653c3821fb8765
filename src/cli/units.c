/*
 * units.c - see units.h.  Stateless; every function writes at most len
 * bytes including the NUL.
 */
#include "units.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "profile_read.h"

/* Three significant digits: 1.23, 12.3, 123. */
static void scaled(char *buf, size_t len, double v, const char *suffix)
{
    double a = fabs(v);
    const char *fmt = a < 9.995 ? "%.2f %s" : a < 99.95 ? "%.1f %s" : "%.0f %s";
    snprintf(buf, len, fmt, v, suffix);
}

static void bytes(char *buf, size_t len, double v)
{
    static const char *const names[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (fabs(v) < 1024) {
        snprintf(buf, len, "%.0f B", v);
        return;
    }
    int i = 0;
    v /= 1024;
    while (fabs(v) >= 1023.995 && i < 4) {
        v /= 1024;
        i++;
    }
    scaled(buf, len, v, names[i]);
}

static void nanos(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (a < 1e3)
        snprintf(buf, len, "%.0f ns", v);
    else if (a < 1e6)
        scaled(buf, len, v / 1e3, "us");
    else if (a < 1e9)
        scaled(buf, len, v / 1e6, "ms");
    else
        scaled(buf, len, v / 1e9, "s");
}

void units_value(char *buf, size_t len, double v, const char *unit, bool raw)
{
    units_value_exact(buf, len, v, NULL, unit, raw);
}

void units_value_exact(char *buf, size_t len, double v, const int64_t *exact, const char *unit,
                       bool raw)
{
    if (v == 0)
        v = 0; /* no "-0" */
    if ((raw || !strcmp(unit, "count") || !*unit) && exact)
        snprintf(buf, len, "%" PRId64, *exact);
    else if (raw || !strcmp(unit, "count") || !*unit)
        snprintf(buf, len, "%.0f", v);
    else if (!strcmp(unit, "bytes"))
        bytes(buf, len, v);
    else if (!strcmp(unit, "nanoseconds"))
        nanos(buf, len, v);
    else if (exact)
        snprintf(buf, len, "%" PRId64 " %s", *exact, unit);
    else
        snprintf(buf, len, "%.0f %s", v, unit);
}

void units_sd(char *buf, size_t len, double var, unsigned sd, const char *unit, bool raw)
{
    if (sd == PROFILE_SD_UNKNOWN) {
        snprintf(buf, len, "?");
        return;
    }
    if (sd == PROFILE_SD_EXACT || var <= 0) {
        snprintf(buf, len, "0");
        return;
    }
    char v[64];
    units_value(v, sizeof v, sqrt(var), unit, raw);
    snprintf(buf, len, "%s%s", sd == PROFILE_SD_APPROX ? "~" : "", v);
}

void units_percent(char *buf, size_t len, double part, double total)
{
    if (total == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", 100 * part / total);
}

void units_seconds(char *buf, size_t len, double s)
{
    if (s < 0) { /* leaks' span when the later profile was given first */
        char t[64];
        units_seconds(t, sizeof t, -s);
        snprintf(buf, len, "-%s", t);
        return;
    }
    if (s < 120)
        snprintf(buf, len, "%.3g s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.0f min %.0f s", floor(s / 60), fmod(s, 60));
    else
        snprintf(buf, len, "%.1f h", s / 3600);
}
