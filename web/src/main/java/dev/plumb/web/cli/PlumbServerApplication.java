package dev.plumb.web.cli;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Gatherer and web in one JVM: the same beans as the split deployment, scanned together. */
@SpringBootApplication(scanBasePackages = {"dev.plumb.gatherer.ingest", "dev.plumb.web"})
public class PlumbServerApplication {
}
