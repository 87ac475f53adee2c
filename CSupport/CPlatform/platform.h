/*
 * CPlatform: the POSIX and Linux calls nostr-dns needs, reached through one
 * module that both builds can import.
 *
 * Why it exists: the Embedded Swift build targets aarch64-none-none-elf and
 * has no Glibc module, so the platform layer cannot `import Glibc`; it
 * imports this header instead, in the host build too, so the code is the
 * same in both. The static inline wrappers cover what Swift cannot reach
 * directly: `errno` (a macro over a thread-local), variadic `open`, the
 * `stat` mode bits, and the socket calls whose constants glibc declares as
 * enum members or whose arguments are `struct sockaddr *` casts (see the
 * socket section below). No protocol logic lives here.
 */
#ifndef NOSTR_DNS_CPLATFORM_H
#define NOSTR_DNS_CPLATFORM_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
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

/* What a file is, for the checks on files a local attacker could plant
 * (FileIO.swift): a regular file, a folder, a symbolic link (lstat only) or
 * anything else (FIFO, device, socket). */
#define ND_KIND_REGULAR 0
#define ND_KIND_FOLDER 1
#define ND_KIND_SYMLINK 2
#define ND_KIND_OTHER 3
static inline int nd_kind(mode_t m) {
    if (S_ISREG(m)) return ND_KIND_REGULAR;
    if (S_ISDIR(m)) return ND_KIND_FOLDER;
    if (S_ISLNK(m)) return ND_KIND_SYMLINK;
    return ND_KIND_OTHER;
}

/* fstat(2) of an open file: permission bits, owner, kind and size. */
static inline int nd_fstat(int fd, unsigned int *mode, unsigned int *uid, int *kind, long long *size) {
    struct stat st;
    if (fstat(fd, &st) != 0) return errno;
    *mode = (unsigned int)(st.st_mode & 07777);
    *uid = (unsigned int)st.st_uid;
    *kind = nd_kind(st.st_mode);
    *size = (long long)st.st_size;
    return 0;
}

/* lstat(2) (stat when follow != 0), reduced the same way; else errno. */
static inline int nd_lstat(const char *path, int follow, unsigned int *mode, unsigned int *uid, int *kind) {
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) return errno;
    *mode = (unsigned int)(st.st_mode & 07777);
    *uid = (unsigned int)st.st_uid;
    *kind = nd_kind(st.st_mode);
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

/* ---- Sockets (socket(7), tcp(7), udp(7), getaddrinfo(3), getifaddrs(3)) ----
 *
 * Addresses travel between Swift and C as `const void *` plus a length, so
 * Swift keeps a `struct sockaddr_storage` and never rebinds it to
 * `struct sockaddr`, `sockaddr_in` or `sockaddr_in6` (C casts them freely).
 * Calls that can fail return a negative errno (or the errno) rather than -1,
 * so a callback need not read errno separately. */

/* socket(2), non-blocking and close-on-exec. glibc declares SOCK_STREAM,
 * SOCK_DGRAM, SOCK_NONBLOCK and SOCK_CLOEXEC as members of enum
 * __socket_type, which Swift imports as a separate type, not as int.
 * Returns the descriptor, or -errno. */
static inline int nd_socket(int family, int datagram) {
    int fd = socket(family, (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd >= 0 ? fd : -errno;
}

/* TCP_NODELAY (tcp(7)): without it Nagle's algorithm and the peer's delayed
 * ACK hold back a small write for ~40 ms in a request/response exchange.
 * IPPROTO_TCP is an enum member in glibc too. Returns 0 or errno. */
static inline int nd_tcp_nodelay(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0 ? 0 : errno;
}

/* connect(2) with a `struct sockaddr *` cast. Returns 0, or errno (EINPROGRESS
 * for a non-blocking TCP socket still connecting; EINTR is reported as
 * EINPROGRESS because the connection then continues asynchronously). */
static inline int nd_connect(int fd, const void *address, unsigned int length) {
    if (connect(fd, (const struct sockaddr *)address, (socklen_t)length) == 0) return 0;
    return errno == EINTR ? EINPROGRESS : errno;
}

/* getsockopt(SO_ERROR): the result of a non-blocking connect(2) once poll(2)
 * reports the socket writable (0 = connected). Returns that error, or the
 * errno of getsockopt itself. */
static inline int nd_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}

/* send(2) with MSG_NOSIGNAL, so a write to a connection the peer has reset
 * fails with EPIPE instead of killing the process with SIGPIPE (MSG_* are
 * enum members in glibc). Retries EINTR. Returns bytes sent, or -errno. */
static inline long nd_send(int fd, const void *buffer, size_t length) {
    for (;;) {
        ssize_t n = send(fd, buffer, length, MSG_NOSIGNAL);
        if (n >= 0) return (long)n;
        if (errno != EINTR) return -(long)errno;
    }
}

/* recv(2) retrying EINTR. Returns bytes read (0 = orderly shutdown for TCP,
 * an empty datagram for UDP), or -errno. */
static inline long nd_recv(int fd, void *buffer, size_t length) {
    for (;;) {
        ssize_t n = recv(fd, buffer, length, 0);
        if (n >= 0) return (long)n;
        if (errno != EINTR) return -(long)errno;
    }
}

/* getaddrinfo(3) with the hints filled in here (ai_socktype takes the enum
 * members above). numeric_only sets AI_NUMERICHOST: an IP literal is parsed
 * and no DNS query is made. Returns 0 or an EAI_* code; for EAI_SYSTEM,
 * *system_errno is set. */
static inline int nd_getaddrinfo(const char *host, const char *port, int datagram, int numeric_only,
                                 struct addrinfo **result, int *system_errno) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = datagram ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0);
    *system_errno = 0;
    int rc = getaddrinfo(host, port, &hints, result);
    if (rc == EAI_SYSTEM) *system_errno = errno;
    return rc;
}

/* Reads a sockaddr_in or sockaddr_in6 without Swift depending on their
 * layout: copies the address (4 or 16 bytes, network order) to address16,
 * and the port (host order) and IPv6 scope id when those pointers are not
 * NULL. Returns 4, 16, or 0 for any other family. */
static inline int nd_sockaddr_info(const void *address, unsigned char *address16,
                                   unsigned short *port, unsigned int *scope_id) {
    const struct sockaddr *sa = (const struct sockaddr *)address;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)address;
        memcpy(address16, &in4->sin_addr, 4);
        if (port) *port = ntohs(in4->sin_port);
        if (scope_id) *scope_id = 0;
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
        memcpy(address16, &in6->sin6_addr, 16);
        if (port) *port = ntohs(in6->sin6_port);
        if (scope_id) *scope_id = in6->sin6_scope_id;
        return 16;
    }
    return 0;
}

/* The reverse: fills *storage (a struct sockaddr_storage) with an AF_INET
 * (length 4) or AF_INET6 (length 16) address. Returns the sockaddr length to
 * pass to connect/sendto, or 0 for another length. */
static inline unsigned int nd_sockaddr_make(void *storage, const unsigned char *address, int length,
                                            unsigned short port, unsigned int scope_id) {
    memset(storage, 0, sizeof(struct sockaddr_storage));
    if (length == 4) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)storage;
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        memcpy(&in4->sin_addr, address, 4);
        return sizeof *in4;
    }
    if (length == 16) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)storage;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_scope_id = scope_id;
        memcpy(&in6->sin6_addr, address, 16);
        return sizeof *in6;
    }
    return 0;
}

/* Servers. bind(2) a new non-blocking, close-on-exec socket to an address,
 * with SO_REUSEADDR (a restarted server binds at once, not after
 * TIME_WAIT) and, for IPv6, IPV6_V6ONLY (so [::]:P and 0.0.0.0:P are two
 * separate sockets, as every --listen address is). For a stream socket,
 * listen(2) follows with `backlog`. Returns the descriptor, or -errno. */
static inline int nd_bind_socket(int family, int datagram, const void *address, unsigned int length, int backlog) {
    int fd = socket(family, (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (datagram) {
        /* Room for bursts of queries (and their answers) between two reads:
         * the kernel's default (about 200 kB) drops queries when a burst
         * outruns one poll turn; the kernel caps this at net.core.rmem_max
         * / wmem_max. */
        int size = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (bind(fd, (const struct sockaddr *)address, (socklen_t)length) != 0
        || (!datagram && listen(fd, backlog) != 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* accept(2), then the new connection made non-blocking and close-on-exec
 * (accept4 needs _GNU_SOURCE, which the importer's view of glibc may lack);
 * its peer in *storage (a struct sockaddr_storage). Retries EINTR. Returns
 * the descriptor, or -errno (-EAGAIN when no connection is waiting). */
static inline int nd_accept(int fd, void *storage, unsigned int *length) {
    for (;;) {
        socklen_t l = (socklen_t)sizeof(struct sockaddr_storage);
        int c = accept(fd, (struct sockaddr *)storage, &l);
        if (c >= 0) {
            fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
            fcntl(c, F_SETFD, FD_CLOEXEC);
            *length = (unsigned int)l;
            return c;
        }
        if (errno != EINTR) return -errno;
    }
}

/* getsockname(2) into *storage: the address a socket is bound to (the
 * port the kernel chose for port 0). Returns 0 or errno. */
static inline int nd_getsockname(int fd, void *storage, unsigned int *length) {
    socklen_t l = (socklen_t)sizeof(struct sockaddr_storage);
    if (getsockname(fd, (struct sockaddr *)storage, &l) != 0) return errno;
    *length = (unsigned int)l;
    return 0;
}

/* sendto(2)/recvfrom(2) for unconnected datagram sockets (a DNS server
 * answers each query to its source). MSG_NOSIGNAL; EINTR retried. Return
 * bytes, or -errno. recvfrom fills *storage and *length with the source. */
static inline long nd_sendto(int fd, const void *buffer, size_t count, const void *address, unsigned int length) {
    for (;;) {
        ssize_t n = sendto(fd, buffer, count, MSG_NOSIGNAL, (const struct sockaddr *)address, (socklen_t)length);
        if (n >= 0) return (long)n;
        if (errno != EINTR) return -(long)errno;
    }
}

static inline long nd_recvfrom(int fd, void *buffer, size_t count, void *storage, unsigned int *length) {
    for (;;) {
        socklen_t l = (socklen_t)sizeof(struct sockaddr_storage);
        ssize_t n = recvfrom(fd, buffer, count, 0, (struct sockaddr *)storage, &l);
        if (n >= 0) {
            *length = (unsigned int)l;
            return (long)n;
        }
        if (errno != EINTR) return -(long)errno;
    }
}

/* netdevice(7) flags of a getifaddrs(3) entry: IFF_* are enum members in
 * glibc's <net/if.h>. */
static inline int nd_iff_is_up(unsigned int flags) { return (flags & IFF_UP) != 0; }
static inline int nd_iff_is_loopback(unsigned int flags) { return (flags & IFF_LOOPBACK) != 0; }
static inline int nd_iff_is_multicast(unsigned int flags) { return (flags & IFF_MULTICAST) != 0; }

/* SIGINT/SIGTERM as a flag for the poll loop, and a self-pipe so that no
 * signal is lost: one that arrives after the loop checked the flag but
 * before poll(2) blocks would otherwise wait out poll's timeout (seen: a
 * `resolve --follow` that took 60 s to stop). The handler stores to a
 * volatile sig_atomic_t and writes one byte to a non-blocking pipe, both
 * async-signal-safe (signal-safety(7)); the poll loop watches the pipe's
 * read end (PollSet.wait). Swift cannot write a signal handler that is safe
 * to run at any time, and struct sigaction's layout differs per libc. Only
 * StopSignal.swift calls these, so there is one copy of the flag and pipe
 * (static variables in a header are per object file). */
#include <signal.h>
static volatile sig_atomic_t nd_stop_flag = 0;
static int nd_stop_pipe[2] = {-1, -1};
static inline void nd_stop_handler(int sig) {
    (void)sig;
    nd_stop_flag = 1;
    if (nd_stop_pipe[1] >= 0) {
        int saved = errno;
        ssize_t r = write(nd_stop_pipe[1], "s", 1);  /* full pipe: a wake-up is pending anyway */
        (void)r;
        errno = saved;
    }
}
static inline void nd_catch_stop_signals(void) {
    if (nd_stop_pipe[0] < 0 && pipe2(nd_stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        nd_stop_pipe[0] = nd_stop_pipe[1] = -1;  /* no pipe: EINTR alone, as before */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nd_stop_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
static inline int nd_stop_requested(void) { return nd_stop_flag; }
/* The pipe's read end (-1 before nd_catch_stop_signals), and emptying it. */
static inline int nd_stop_fd(void) { return nd_stop_pipe[0]; }
static inline void nd_stop_drain(void) {
    char buffer[64];
    while (nd_stop_pipe[0] >= 0 && read(nd_stop_pipe[0], buffer, sizeof buffer) > 0) {}
}

/* A non-blocking, close-on-exec self-pipe for one poll loop's own stop
 * (LoopStop.swift: a server run in-process, stopped from another thread).
 * pipe2(2) is a GNU extension that Swift does not see without _GNU_SOURCE.
 * Returns 0, or -1 with errno set. */
static inline int nd_pipe(int ends[2]) { return pipe2(ends, O_NONBLOCK | O_CLOEXEC); }

/* ---- Multicast DNS sockets (RFC 6762; ip(7), ipv6(7), cmsg(3)) ----
 *
 * Why these exist: the options below take structs (ip_mreqn, ipv6_mreq,
 * in_pktinfo, in6_pktinfo) whose layouts Swift should not depend on, and
 * recvmsg/sendmsg ancillary data is walked with the CMSG_* macros, which
 * Swift cannot call. What the responder needs from them is reduced here to
 * integers and 16-byte addresses. No DNS logic lives here. */

/* A UDP socket for mDNS on `port` (5353) of every address of `family`:
 * SO_REUSEADDR and SO_REUSEPORT so that it coexists with avahi-daemon or
 * another responder on the same host (RFC 6762 §15.1); IPV6_V6ONLY;
 * IP_MULTICAST_ALL off (only the groups this socket joins are delivered);
 * the arrival interface, destination (IP_PKTINFO / IPV6_RECVPKTINFO) and
 * TTL / hop limit (IP_RECVTTL / IPV6_RECVHOPLIMIT) with every datagram;
 * multicast TTL and unicast TTL 255 (RFC 6762 §11); multicast loopback as
 * `loop` says (a querier on this host hears the answers only with it).
 * Returns the descriptor, or -errno. */
static inline int nd_mdns_socket(int family, unsigned short port, int loop) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1, ttl = 255, off = 0, lp = loop ? 1 : 0;
    struct sockaddr_storage ss;
    socklen_t length;
    memset(&ss, 0, sizeof ss);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
#ifdef SO_REUSEPORT
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
#endif
    int bad = 0;
    if (family == AF_INET) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr = htonl(INADDR_ANY);
        length = sizeof *in4;
#ifdef IP_MULTICAST_ALL
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
#endif
        bad |= setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
        bad |= setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
        bad |= setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        bad |= setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
        bad |= setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &lp, sizeof lp);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_addr = in6addr_any;
        length = sizeof *in6;
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
#ifdef IPV6_MULTICAST_ALL
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off);
#endif
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
        bad |= setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &lp, sizeof lp);
    }
    (void)off;
    if (bad != 0 || bind(fd, (const struct sockaddr *)&ss, length) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Joins (join = 1) or leaves (0) the mDNS group of the socket's family on
 * one interface, by index: 224.0.0.251 (ip_mreqn) or ff02::fb (ipv6_mreq).
 * For IPv4, `address4` (4 bytes, or NULL) also goes in imr_address, and the
 * ip_mreqn is passed zero-padded to 8 + sizeof(long) bytes (16 on 64-bit
 * targets): Linux reads the first 12 of any optlen >= 12, while qemu-user
 * (checked with qemu 7.2 running the aarch64 build) keeps the index only
 * when optlen is its target's ip_mreqn with the index as a long, and
 * otherwise hands the kernel an index it never set (ENODEV).
 * Returns 0 or errno (EADDRINUSE: already joined). */
static inline int nd_mdns_membership(int fd, int family, unsigned int ifindex, int join,
                                     const unsigned char *address4) {
    if (family == AF_INET) {
        union { struct ip_mreqn m; unsigned char padded[16]; } u;
        memset(&u, 0, sizeof u);
        u.m.imr_multiaddr.s_addr = htonl(0xE00000FBu);
        if (address4) memcpy(&u.m.imr_address, address4, 4);
        u.m.imr_ifindex = (int)ifindex;
        int opt = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
        socklen_t length = (socklen_t)(2 * sizeof(struct in_addr) + sizeof(long));
        return setsockopt(fd, IPPROTO_IP, opt, &u, length) == 0 ? 0 : errno;
    }
    struct ipv6_mreq m;
    memset(&m, 0, sizeof m);
    static const unsigned char group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};
    memcpy(&m.ipv6mr_multiaddr, group, 16);
    m.ipv6mr_interface = ifindex;
    int opt = join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP;
    return setsockopt(fd, IPPROTO_IPV6, opt, &m, sizeof m) == 0 ? 0 : errno;
}

/* struct in6_pktinfo (RFC 3542 §6.1) is declared by glibc only under
 * _GNU_SOURCE, which the host build's importer does not define; this is
 * the same layout, fixed by the kernel ABI. */
struct nd_in6_pktinfo {
    struct in6_addr addr;
    unsigned int ifindex;
};

/* What recvmsg(2) says about one datagram besides its bytes. */
struct nd_datagram_info {
    unsigned char source[16];      /* 4 or 16 bytes, network order */
    unsigned char destination[16]; /* from IP_PKTINFO / IPV6_PKTINFO */
    int address_length;            /* 4 or 16; 0 for another family */
    unsigned short source_port;
    unsigned int scope_id;         /* of an IPv6 source */
    unsigned int ifindex;          /* arrival interface; 0 if not reported */
    int hop_limit;                 /* IP TTL / IPv6 hop limit; -1 if not reported */
    int truncated;                 /* MSG_TRUNC: the datagram was longer than the buffer */
};

/* recvmsg(2) of one datagram with its source, arrival interface, destination
 * and TTL from the ancillary data. Retries EINTR. Returns bytes, or -errno. */
static inline long nd_recvmsg_info(int fd, void *buffer, size_t count, struct nd_datagram_info *info) {
    struct sockaddr_storage source;
    union { char raw[256]; struct cmsghdr align; } control;
    struct iovec iov;
    struct msghdr msg;
    ssize_t n;
    for (;;) {
        iov.iov_base = buffer;
        iov.iov_len = count;
        memset(&msg, 0, sizeof msg);
        msg.msg_name = &source;
        msg.msg_namelen = sizeof source;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.raw;
        msg.msg_controllen = sizeof control.raw;
        n = recvmsg(fd, &msg, 0);
        if (n >= 0) break;
        if (errno != EINTR) return -(long)errno;
    }
    memset(info, 0, sizeof *info);
    info->hop_limit = -1;
    info->truncated = (msg.msg_flags & MSG_TRUNC) ? 1 : 0;
    info->address_length = nd_sockaddr_info(&source, info->source, &info->source_port, &info->scope_id);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            info->ifindex = (unsigned int)pi.ipi_ifindex;
            memcpy(info->destination, &pi.ipi_addr, 4);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            int ttl;
            memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
            info->hop_limit = ttl;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct nd_in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            info->ifindex = pi.ifindex;
            memcpy(info->destination, &pi.addr, 16);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            int hops;
            memcpy(&hops, CMSG_DATA(c), sizeof hops);
            info->hop_limit = hops;
        }
    }
    return (long)n;
}

/* sendmsg(2) of one datagram to `address` out of interface `ifindex`
 * (IP_PKTINFO / IPV6_PKTINFO ancillary data: the kernel then routes a
 * multicast or link-local destination through that interface, not the
 * default route), from `source` (4 or 16 bytes; NULL lets the kernel
 * choose, which for IPv4 may be another interface's address).
 * MSG_NOSIGNAL; EINTR retried. Returns bytes, or -errno. */
static inline long nd_sendmsg_ifindex(int fd, const void *buffer, size_t count, const void *address,
                                      unsigned int length, unsigned int ifindex, const unsigned char *source) {
    union { char raw[CMSG_SPACE(sizeof(struct nd_in6_pktinfo))]; struct cmsghdr align; } control;
    struct iovec iov;
    struct msghdr msg;
    memset(&control, 0, sizeof control);
    iov.iov_base = (void *)buffer;
    iov.iov_len = count;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = (void *)address;
    msg.msg_namelen = (socklen_t)length;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (ifindex != 0) {
        msg.msg_control = control.raw;
        struct cmsghdr *c = (struct cmsghdr *)control.raw;
        if (((const struct sockaddr *)address)->sa_family == AF_INET) {
            struct in_pktinfo pi;
            memset(&pi, 0, sizeof pi);
            pi.ipi_ifindex = (int)ifindex;
            if (source) memcpy(&pi.ipi_spec_dst, source, 4);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof pi);
            memcpy(CMSG_DATA(c), &pi, sizeof pi);
            msg.msg_controllen = CMSG_SPACE(sizeof pi);
        } else {
            struct nd_in6_pktinfo pi;
            memset(&pi, 0, sizeof pi);
            pi.ifindex = ifindex;
            if (source) memcpy(&pi.addr, source, 16);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof pi);
            memcpy(CMSG_DATA(c), &pi, sizeof pi);
            msg.msg_controllen = CMSG_SPACE(sizeof pi);
        }
    }
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) return (long)n;
        if (errno != EINTR) return -(long)errno;
    }
}

/* The prefix length of a getifaddrs(3) netmask (ifa_netmask): the number of
 * leading one bits of a sockaddr_in / sockaddr_in6 mask; -1 for NULL or
 * another family. For the on-link check of RFC 6762 §11. */
static inline int nd_netmask_prefix(const void *netmask) {
    if (netmask == NULL) return -1;
    unsigned char bytes[16];
    int length = nd_sockaddr_info(netmask, bytes, NULL, NULL);
    if (length == 0) return -1;
    int bits = 0;
    for (int i = 0; i < length; i++) {
        unsigned char b = bytes[i];
        while (b & 0x80) { bits++; b = (unsigned char)(b << 1); }
        if (bytes[i] != 0xff) break;
    }
    return bits;
}

/* The DNS server's cache file (CacheFile.swift) is replaced atomically:
 * written beside itself, then rename(2)d over the old one. rename is
 * declared in <stdio.h>, which this module does not otherwise import. */
#include <stdio.h>
static inline int nd_rename(const char *from, const char *to) {
    return rename(from, to) == 0 ? 0 : errno;
}

/* The DNS server reads and answers UDP queries in batches: recvmmsg(2) and
 * sendmmsg(2), up to ND_MMSG_MAX datagrams per system call. The msghdr,
 * iovec and mmsghdr arrays are built here on the stack from one flat buffer
 * (slot i at buffers + i * stride) and one sockaddr_storage array, because
 * their layouts differ per libc and Swift would juggle pointers into them.
 * Called through syscall(2): glibc declares recvmmsg/sendmmsg and struct
 * mmsghdr only under _GNU_SOURCE, which this module does not define; the
 * kernel's struct is { struct msghdr; unsigned int msg_len; } everywhere.
 * nd_recv_batch returns the count received (lengths[i], address_lengths[i];
 * a datagram longer than stride gets length stride + 1) or -errno;
 * nd_send_batch returns the count sent or -errno. */
#include <sys/syscall.h>
#include <sys/uio.h>
#define ND_MMSG_MAX 64
struct nd_mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
static inline int nd_recv_batch(int fd, void *buffers, size_t stride, unsigned int count,
                                void *addresses, unsigned int *address_lengths, unsigned int *lengths) {
    struct nd_mmsghdr msgs[ND_MMSG_MAX];
    struct iovec iov[ND_MMSG_MAX];
    if (count > ND_MMSG_MAX) count = ND_MMSG_MAX;
    memset(msgs, 0, sizeof(struct nd_mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        iov[i].iov_base = (char *)buffers + i * stride;
        iov[i].iov_len = stride;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = (struct sockaddr_storage *)addresses + i;
        msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    long n;
    do { n = syscall(SYS_recvmmsg, fd, msgs, count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (long i = 0; i < n; i++) {
        lengths[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? (unsigned int)stride + 1 : msgs[i].msg_len;
        address_lengths[i] = msgs[i].msg_hdr.msg_namelen;
    }
    return (int)n;
}
static inline int nd_send_batch(int fd, const void *buffers, size_t stride, unsigned int count,
                                const void *addresses, const unsigned int *address_lengths,
                                const unsigned int *lengths) {
    struct nd_mmsghdr msgs[ND_MMSG_MAX];
    struct iovec iov[ND_MMSG_MAX];
    if (count > ND_MMSG_MAX) count = ND_MMSG_MAX;
    memset(msgs, 0, sizeof(struct nd_mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        iov[i].iov_base = (char *)buffers + i * stride;
        iov[i].iov_len = lengths[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = (void *)((const struct sockaddr_storage *)addresses + i);
        msgs[i].msg_hdr.msg_namelen = address_lengths[i];
    }
    long n;
    do { n = syscall(SYS_sendmmsg, fd, msgs, count, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (int)n;
}

/* After the DNS server has read and verified its cache file, the parser's
 * temporary allocations lie freed between the entries that stay; glibc
 * keeps such pages resident. malloc_trim(3) gives them back to the kernel
 * (a router has little RAM). Declared in <malloc.h>, a glibc header. */
#include <malloc.h>
static inline void nd_malloc_trim(void) { (void)malloc_trim(0); }

#endif
