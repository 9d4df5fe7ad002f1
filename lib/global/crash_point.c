/*
 * crash_point.c - the test build's crash points (see crash_point.h).
 *
 * The process dies with SIGKILL, so nothing runs on the way out: no exit
 * handlers, no flushing, no sanitizer report, exactly what a kill -9 or a
 * power cut leaves for recovery to find.
 */
#include "sys_defs.h"
#include "crash_point.h"
#include "msg.h"
#include "strutil.h"

#ifdef POSTERN_CRASH_POINTS

static const char *const crash_point_names[] = {
#define CRASH_POINT_NAME(id, name) name,
    CRASH_POINT_LIST(CRASH_POINT_NAME)
#undef CRASH_POINT_NAME
};

static int crash_armed = -1; /* the point that may fire, or CRASH_POINT_COUNT for none */
static long long crash_after = 1;
static long long crash_hits;

static void crash_point_init(void)
{
    const char *spec = getenv("POSTERN_CRASH_POINT");
    char name[64];
    size_t n;

    crash_armed = CRASH_POINT_COUNT;
    if (spec == NULL || *spec == 0)
        return;
    n = strcspn(spec, ":");
    if (n >= sizeof(name))
        msg_fatal("POSTERN_CRASH_POINT: bad value \"%s\"", spec);
    memcpy(name, spec, n);
    name[n] = 0;
    if (spec[n] == ':' && str_to_ll(spec + n + 1, 1, 1000000, &crash_after) < 0)
        msg_fatal("POSTERN_CRASH_POINT: bad count in \"%s\"", spec);
    for (size_t i = 0; i < COUNTOF(crash_point_names); i++)
        if (strcmp(crash_point_names[i], name) == 0)
            crash_armed = (int)i;
    if (crash_armed == CRASH_POINT_COUNT)
        msg_fatal("POSTERN_CRASH_POINT: unknown crash point \"%s\"", name);
}

/*
 * POSTERN_CRASH_DIR, opened when the program starts: a daemon that master
 * runs chrooted can no longer reach it by name when its point fires.
 */
static int crash_dir_fd = -1;

__attribute__((constructor)) static void crash_dir_open(void)
{
    const char *dir = getenv("POSTERN_CRASH_DIR");

    if (dir && *dir)
        crash_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Claim the one crash of this instance; false if another process had it. */
static bool crash_claim(void)
{
    const char *dir = getenv("POSTERN_CRASH_DIR");
    int fd;

    if (dir == NULL || *dir == 0)
        return true;
    if ((fd = openat(crash_dir_fd, "fired", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                     0644)) < 0) {
        if (errno != EEXIST)
            msg_warn("crash point: create %s/fired: %m", dir);
        return false;
    }
    (void)close(fd);
    return true;
}

void crash_point(enum crash_point_id id)
{
    if (crash_armed < 0)
        crash_point_init();
    if ((int)id != crash_armed || ++crash_hits != crash_after || !crash_claim())
        return;
    msg_warn("crash point %s: dying as if killed", crash_point_names[id]);
    (void)kill(getpid(), SIGKILL);
    _exit(137);
}

#endif
