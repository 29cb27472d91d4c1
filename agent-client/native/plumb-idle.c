/*
 * plumb-idle TID... — puts the given threads into the SCHED_IDLE scheduling class.
 *
 * `plumb run --mode sampled` runs its own JVM's threads this way (all but those the profiled
 * program waits for), so that decoding, symbolizing, shipping, JIT compiling and garbage
 * collecting use only CPU the program leaves idle: a SCHED_IDLE thread is preempted as soon as
 * a normal one wants its CPU, which nice 19 does not do. Java cannot call sched_setscheduler
 * itself (no JNI here, and the FFM API is not final in Java 17), hence this helper: one
 * process for every thread instead of one `chrt` per thread.
 *
 * Any process may lower its own threads' class; raising it back needs privileges.
 * Exit code: 0 when every thread was moved (or had already exited), 1 otherwise, 2 for usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: plumb-idle TID...\n");
        return 2;
    }
    struct sched_param param = {.sched_priority = 0};
    int status = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        errno = 0;
        long tid = strtol(argv[i], &end, 10);
        if (errno != 0 || *end != '\0' || tid <= 0) {
            fprintf(stderr, "plumb-idle: not a thread id: '%s'\n", argv[i]);
            return 2;
        }
        if (sched_setscheduler((pid_t)tid, SCHED_IDLE, &param) != 0 && errno != ESRCH) {
            fprintf(stderr, "plumb-idle: thread %ld: %s\n", tid, strerror(errno));
            status = 1;
        }
    }
    return status;
}
