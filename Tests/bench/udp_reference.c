/*
 * Tests/bench/udp_reference.c: the reference answerer of the DNS benchmark
 * (Tests/bench/dns_bench.py qps). A measuring instrument, not a server.
 *
 * It does the least work any UDP DNS server on Linux can do per cached
 * answer, in the same shape as `nostr-dns dns` (Sources/nostr-dns/
 * DNSServer.swift, Sources/NostrPlatform/UDPBatch.swift): poll(2), then up
 * to 8 batches of up to 64 queries read with one recvmmsg(2) each and
 * answered with one sendmmsg(2) each. Its answer is one precomputed A record
 * (192.0.2.1, TTL 300) behind the query's header and question, with no
 * parsing beyond skipping the question name and no name lookup. What it
 * costs per answer is the kernel's UDP receive and send path (the delivery
 * to dnsperf's socket and its wake-up included), which no user-space DNS
 * code can avoid: so its queries per second and CPU time per answer bound
 * what nostr-dns, or any server built this way, can reach on this machine.
 *
 *     udp_reference 127.0.0.1 PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { BATCH = 64, BATCHES_PER_WAKE = 8, QUERY_MAX = 1500, ANSWER_MAX = 1232 };

/* The answer record: a pointer to the question name (offset 12), A, IN,
 * TTL 300, 4 bytes of rdata (RFC 1035 §4.1.3). */
static const unsigned char answer_record[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1};

static unsigned char queries[BATCH][QUERY_MAX], answers[BATCH][ANSWER_MAX];
static struct sockaddr_storage sources[BATCH];
static struct iovec query_iov[BATCH], answer_iov[BATCH];
static struct mmsghdr received[BATCH], replies[BATCH];

/* The answer to one query in `out`, or 0 to drop it: a response, no
 * question, or a name that runs past the end. */
static size_t answer(const unsigned char *q, size_t length, unsigned char *out) {
    if (length < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1) return 0;
    size_t end = 12;
    while (end < length && q[end] != 0) {
        if (q[end] > 63) return 0;
        end += (size_t)q[end] + 1;
    }
    end += 5; /* the root label, QTYPE and QCLASS */
    if (end > length || end + sizeof answer_record > ANSWER_MAX) return 0;
    memcpy(out, q, end);
    out[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD echoed */
    out[3] = 0x00;
    out[6] = 0, out[7] = 1;   /* ANCOUNT 1 */
    out[8] = 0, out[9] = 0;   /* NSCOUNT 0 */
    out[10] = 0, out[11] = 0; /* ARCOUNT 0: any OPT record of the query is dropped */
    memcpy(out + end, answer_record, sizeof answer_record);
    return end + sizeof answer_record;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: udp_reference IPV4 PORT\n");
        return 2;
    }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) {
        fprintf(stderr, "udp_reference: not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("udp_reference: bind");
        return 1;
    }
    for (int i = 0; i < BATCH; i++) {
        query_iov[i] = (struct iovec){.iov_base = queries[i], .iov_len = QUERY_MAX};
        answer_iov[i].iov_base = answers[i];
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) continue;
        for (int turn = 0; turn < BATCHES_PER_WAKE; turn++) {
            for (int i = 0; i < BATCH; i++) {
                received[i].msg_hdr = (struct msghdr){.msg_name = &sources[i], .msg_namelen = sizeof sources[i],
                                                      .msg_iov = &query_iov[i], .msg_iovlen = 1};
            }
            int n = recvmmsg(fd, received, BATCH, 0, NULL);
            if (n <= 0) break;
            int m = 0;
            for (int i = 0; i < n; i++) {
                size_t length = answer(queries[i], received[i].msg_len, answers[m]);
                if (length == 0) continue;
                answer_iov[m].iov_len = length;
                replies[m].msg_hdr = (struct msghdr){.msg_name = &sources[i], .msg_namelen = received[i].msg_hdr.msg_namelen,
                                                     .msg_iov = &answer_iov[m], .msg_iovlen = 1};
                m++;
            }
            if (m > 0) (void)sendmmsg(fd, replies, (unsigned)m, 0);
        }
    }
}
