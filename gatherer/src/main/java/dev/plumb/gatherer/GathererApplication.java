package dev.plumb.gatherer;

import java.util.concurrent.CountDownLatch;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The gatherer on its own, for split deployments (`plumb server` runs it together with web). */
@SpringBootApplication(scanBasePackages = {"dev.plumb.gatherer.ingest", "dev.plumb.gatherer.store"})
public class GathererApplication {
    public static void main(String[] args) throws InterruptedException {
        ConfigurableApplicationContext context = SpringApplication.run(GathererApplication.class, args);
        // Netty's event loops are daemon threads: without a web server nothing else keeps the JVM up.
        CountDownLatch closed = new CountDownLatch(1);
        context.addApplicationListener(event -> {
            if (event instanceof org.springframework.context.event.ContextClosedEvent) {
                closed.countDown();
            }
        });
        closed.await();
    }
}
