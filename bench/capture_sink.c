/* Minimal capture agent for benchmarks: listens on a Unix socket, accepts every connection
 * and copies its bytes to OUTDIR/stream-<n>.bin (or discards them if OUTDIR is "-"), one
 * thread per connection. Exits after the last connection closes once SIGTERM/SIGINT came,
 * or when its stdin reaches EOF and no connection is open.
 * Usage: capture_sink SOCKET_PATH OUTDIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *outdir;
static int next_id;

static void *drain(void *arg) {
    int fd = (int)(long)arg;
    int out = -1;
    if (strcmp(outdir, "-") != 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/stream-%d.bin", outdir, __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED));
        out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    static __thread char buf[1 << 20];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t off = 0; out >= 0 && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += w;
        }
    }
    close(fd);
    if (out >= 0) close(out);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: capture_sink SOCKET_PATH OUTDIR|-\n");
        return 2;
    }
    outdir = argv[2];
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(argv[1]) >= sizeof addr.sun_path) return 2;
    strcpy(addr.sun_path, argv[1]);
    unlink(argv[1]);
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(srv, 64) != 0) {
        perror("capture_sink");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int c = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("accept");
            return 1;
        }
        pthread_t t;
        pthread_create(&t, NULL, drain, (void *)(long)c);
        pthread_detach(t);
    }
}
