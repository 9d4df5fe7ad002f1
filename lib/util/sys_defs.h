/*
 * sys_defs.h - the first include of every Postern source file.
 *
 * Pulls in the system headers that nearly every module needs, defines the
 * small portability and annotation macros, and poisons the string functions
 * that the house style bans (strcpy, strcat, sprintf, gets, strtok): use the
 * bounded buffer (buf.h) or snprintf instead.  Because the poison pragma
 * rejects any later mention of those names, system headers must be included
 * here, before it, and not after sys_defs.h in a source file.
 */
#ifndef POSTERN_SYS_DEFS_H
#define POSTERN_SYS_DEFS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#define WARN_UNUSED __attribute__((warn_unused_result))

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Built with AddressSanitizer (clang says so with __has_feature, gcc with a macro). */
#if defined(__SANITIZE_ADDRESS__)
#define POSTERN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTERN_ASAN 1
#endif
#endif

/* Case-insensitive ASCII comparisons that never depend on the locale. */
#define ASCII_TOLOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c))

/*
 * clang with _FORTIFY_SOURCE makes some of these macros, and poisoning a
 * macro is an error there; gcc and the sanitizer builds still catch them.
 */
#if !(defined(__clang__) && defined(__USE_FORTIFY_LEVEL) && __USE_FORTIFY_LEVEL > 0)
#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok
#endif

#endif
