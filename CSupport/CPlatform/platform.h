/*
 * CPlatform: the POSIX and Linux calls nostr-dns needs, reached through one
 * module that both builds can import.
 *
 * Why it exists: the Embedded Swift build targets aarch64-none-none-elf and
 * has no Glibc module, so the platform layer cannot `import Glibc`; it
 * imports this header instead, in the host build too, so the code is the
 * same in both. The static inline wrappers cover what Swift cannot reach
 * directly: `errno` (a macro over a thread-local), variadic `open`, and the
 * `stat` mode bits. No protocol logic lives here.
 */
#ifndef NOSTR_DNS_CPLATFORM_H
#define NOSTR_DNS_CPLATFORM_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* errno is a macro over a thread-local location: Swift cannot read it. */
static inline int nd_errno(void) { return errno; }

/* open(2) is variadic; Swift imports no variadic C functions. */
static inline int nd_open(const char *path, int flags, unsigned int mode) {
    return open(path, flags | O_CLOEXEC, (mode_t)mode);
}

/* getrandom(2) that retries on EINTR and short reads; 0 on success, else errno. */
static inline int nd_getrandom(void *buffer, size_t length) {
    unsigned char *p = (unsigned char *)buffer;
    while (length > 0) {
        ssize_t n = getrandom(p, length, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

/* stat(2) reduced to what the key-file checks need, so Swift does not depend
 * on the layout of struct stat, which differs between x86_64 and aarch64.
 * Returns 0 and fills mode/uid on success, else errno. */
static inline int nd_stat(const char *path, unsigned int *mode, unsigned int *uid, int *is_dir) {
    struct stat st;
    if (stat(path, &st) != 0) return errno;
    *mode = (unsigned int)(st.st_mode & 07777);
    *uid = (unsigned int)st.st_uid;
    *is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
    return 0;
}

static inline int nd_fstat(int fd, unsigned int *mode, unsigned int *uid, int *is_reg) {
    struct stat st;
    if (fstat(fd, &st) != 0) return errno;
    *mode = (unsigned int)(st.st_mode & 07777);
    *uid = (unsigned int)st.st_uid;
    *is_reg = S_ISREG(st.st_mode) ? 1 : 0;
    return 0;
}

/* Monotonic and wall clocks in nanoseconds / seconds. */
static inline unsigned long long nd_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static inline long long nd_unix_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec;
}

#endif
