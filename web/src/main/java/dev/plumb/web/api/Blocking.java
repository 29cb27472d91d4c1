package dev.plumb.web.api;

import java.util.concurrent.Callable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** JDBC blocks, so controllers run their queries on the bounded elastic scheduler. */
final class Blocking {
    private Blocking() {
    }

    static <T> Mono<T> call(Callable<T> call) {
        return Mono.fromCallable(call).subscribeOn(Schedulers.boundedElastic());
    }
}
