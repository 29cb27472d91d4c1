package dev.plumb.agent.run;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Sampled mode: compiles the pump's record framing ({@link SampleThinner}) before the program
 * starts, and waits until the JIT has nothing left to compile.
 *
 * <p>Why: in sampled mode the pump frames every record (so that it could leave samples out at
 * the spool limit), at the program's priority, since the library's sends wait for it. Cold, that
 * loop ran interpreted and then in C1's profiling tier for the whole of a short program:
 * {@code -XX:+PrintCompilation} showed it reaching C2 only after {@code bench/alloc_bench} had
 * exited, the pump took 77 ms of normal-priority CPU over a 1.8 s run, and the compiler threads,
 * idle-class by then, could only finish the job on CPU the program left. Ten thousand passes
 * over a synthetic stream beforehand make C2 compile it while the compilers still run at normal
 * priority and the program has not started; waiting for an empty compile queue also lets C2
 * finish the JVM's own start-up backlog then rather than next to the program. Bounded: at most
 * {@link #BUDGET} in all.
 */
final class PumpWarmUp {
    static final Duration BUDGET = Duration.ofMillis(1500);
    /**
     * Calls of SampleThinner.process. C2 compiles a method's loop after enough iterations, the
     * method itself only after thousands of calls (3,000 left {@code follow} to be compiled while
     * the program ran).
     */
    static final int PASSES = 10_000;

    private PumpWarmUp() {
    }

    /**
     * Runs the passes and waits for idle compilers, until {@code deadline} at the latest;
     * returns how many passes ran (fewer than PASSES only if the deadline came first).
     */
    static int run(long deadline) {
        try {
            compilerQueue();
        } catch (JMException | RuntimeException unavailable) {
            // awaitIdleCompilers says so again, and does not wait
        }
        ByteBuffer stream = sampledStream(16);
        ByteBuffer out = ByteBuffer.allocateDirect(stream.capacity() + 64);
        int passes = 0;
        while (passes < PASSES && System.nanoTime() < deadline) {
            SampleThinner thinner = new SampleThinner();
            stream.rewind();
            out.clear();
            thinner.process(stream, out, false);
            passes++;
        }
        awaitIdleCompilers(deadline);
        return passes;
    }

    /**
     * Waits until the JIT has nothing compiling and nothing queued, or the deadline. A compiler
     * that finished nothing for a while is not idle: at start-up C2 works through a queue of the
     * JVM's own methods, and the pump's loop waited behind it until the program was running (and
     * the compilers idle-class). The queue is read with the JVM's diagnostic command
     * {@code Compiler.queue} (what {@code jcmd PID Compiler.queue} prints); where that is not
     * available, nothing is waited for.
     */
    static void awaitIdleCompilers(long deadlineNanos) {
        try {
            while (System.nanoTime() < deadlineNanos && !compilersIdle(compilerQueue())) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (JMException | RuntimeException unavailable) {
            // a JVM without the diagnostic command: start the program without waiting
        }
    }

    /**
     * The JIT's queue report. The first call starts the platform MBean server, which alone
     * gives the compilers tens of milliseconds of work: {@link #run} makes it before its passes,
     * so that this work is compiled with them.
     */
    static String compilerQueue() throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Object report = server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue",
                new Object[] {null}, new String[] {String[].class.getName()});
        return String.valueOf(report);
    }

    /**
     * Whether {@code Compiler.queue}'s report lists no task: only its headings ("Current
     * compiles:", "C1 compile queue:", …) and "Empty".
     */
    static boolean compilersIdle(String report) {
        for (String line : report.split("\n")) {
            String text = line.strip();
            if (!text.isEmpty() && !text.endsWith(":") && !text.equals("Empty")) {
                return false;
            }
        }
        return true;
    }

    /**
     * A sampled-mode stream as the library writes it (layouts: agent-client/native/README.md):
     * HELLO, OPTIONS, a MODULE and a STACK, pairs of SAMPLE and FREE records with a TOGGLE among
     * them, COUNTERS and END — every kind a real stream has, so that the compiled framing is not
     * thrown away at the first kind it did not see; valid throughout, so it tests as a stream.
     */
    static ByteBuffer sampledStream(int pairs) {
        int sample = 1 + 8 + 8 + 8 + 4 + 4 + 8;
        int free = 1 + 8 + 8;
        ByteBuffer b = ByteBuffer.allocateDirect(256 + pairs * (sample + free)).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'H').putInt(1).putLong(0).putShort((short) 4).put("prog".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 'O').put((byte) 1).putLong(524288).putShort((short) 64).putInt(0);
        b.put((byte) 'M').putLong(0).putLong(0x1000).putLong(0x2000).putShort((short) 4)
                .put("prog".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
        b.put((byte) 'S').putInt(1).putShort((short) 2).putLong(0x1010).putLong(0x1020);
        for (int i = 0; i < pairs; i++) {
            long address = 0x10_0000L + 64L * i;
            b.put((byte) 'P').putLong(i).putLong(address).putLong(100).putInt(1).putInt(1).putDouble(5243.4);
            b.put((byte) 'F').putLong(i).putLong(address);
            if (i == pairs / 2) {
                b.put((byte) 'T').putLong(0).put((byte) 1);
            }
        }
        b.put((byte) 'K').putLong(0).putShort((short) 1).putLong(0);
        b.put((byte) 'E').putLong(0);
        return b.flip();
    }
}
