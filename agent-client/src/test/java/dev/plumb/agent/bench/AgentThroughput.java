package dev.plumb.agent.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.record.RecordingServer;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.agent.ship.SessionShipper;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * bench/run agent: how fast the host agent turns a recorded capture stream into shipped
 * batches — decoding, allocation-id bookkeeping, symbolization of each new stack, batch
 * encoding and a loopback TCP send to a recorder (acknowledged like a gatherer would). The
 * figure is events per CPU-second of the whole JVM, so it means "per core". Condensing is on
 * with the default threshold unless a third argument gives another (0 = off).
 *
 * <p>Usage: AgentThroughput RAW_CAPTURE_FILE [REPETITIONS] [CONDENSE_AFTER_SECONDS]
 */
public final class AgentThroughput {
    public static void main(String[] args) throws Exception {
        Path raw = Path.of(args[0]);
        int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        java.time.Duration condenseAfter = args.length > 2 ? java.time.Duration.ofSeconds(Long.parseLong(args[2]))
                : SessionShipper.DEFAULT_CONDENSE_AFTER;
        String condensing = "";
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double best = 0;
        for (int r = 0; r <= repetitions; r++) { // the first pass warms the JIT and is not counted
            Path dir = Files.createTempDirectory("plumb-agent-bench");
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            long events;
            try (RecordingServer recorder = new RecordingServer(dir.resolve("out.plumb"), dir)) {
                SessionShipper shipper = new SessionShipper(new GathererAddress("127.0.0.1", recorder.port()),
                        new SessionLabels("bench", "bench", "bench", "", Map.of()), null, condenseAfter);
                try (InputStream in = new BufferedInputStream(Files.newInputStream(raw), 1 << 20); shipper) {
                    new CaptureReader(in, shipper).run();
                }
                events = shipper.stats().allocations() + shipper.stats().frees();
                condensing = String.format("condense-after %d s: %,d of %,d allocations condensed into %,d rows",
                        condenseAfter.toSeconds(), shipper.stats().condensedAllocations(), shipper.stats().allocations(),
                        shipper.stats().condensedRows());
            }
            double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
            double wallSeconds = (System.nanoTime() - wall0) / 1e9;
            double perCpuSecond = events / cpuSeconds;
            if (r > 0) {
                best = Math.max(best, perCpuSecond);
                System.out.printf("run %d: %,d events in %.2f s wall, %.2f s CPU: %,.0f events/s wall, %,.0f events per CPU-second%n",
                        r, events, wallSeconds, cpuSeconds, events / wallSeconds, perCpuSecond);
            }
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
        System.out.println(condensing);
        System.out.printf("agent_events_per_cpu_second=%.0f%n", best);
    }
}
