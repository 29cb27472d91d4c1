package dev.plumb.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.capture.RecordingListener;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PumpWarmUpTest {
    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** The warm-up must exercise what a real stream holds: the decoder reads it as one, every kind in order. */
    @Test
    void theWarmUpStreamIsASampledStreamTheDecoderAccepts() throws Exception {
        RecordingListener listener = new RecordingListener();
        new CaptureReader(new ByteArrayInputStream(bytes(PumpWarmUp.sampledStream(4))), listener).run();
        assertThat(listener.tags.toString()).isEqualTo("HOMS" + "AFAFAF" + "T" + "AF" + "KE");
        assertThat(listener.allocs).allSatisfy(a -> assertThat(a.weight()).as("SAMPLE records").isGreaterThan(1));
    }

    @Test
    void theThinnerFramesItToTheEndAsASampledStreamAndPassesItOnUnchanged() {
        ByteBuffer stream = PumpWarmUp.sampledStream(100);
        ByteBuffer out = ByteBuffer.allocate(stream.remaining());
        SampleThinner thinner = new SampleThinner();
        thinner.process(stream.duplicate(), out, false);
        assertThat(thinner.framing()).as("every tag known").isTrue();
        assertThat(thinner.sampled()).isTrue();
        assertThat(thinner.carried()).isZero();
        assertThat(out.array()).isEqualTo(bytes(stream));
    }

    @Test
    void everyPassRunsWithinTheBudget() {
        assertThat(PumpWarmUp.run(System.nanoTime() + PumpWarmUp.BUDGET.toNanos())).isEqualTo(PumpWarmUp.PASSES);
    }

    @Test
    void compilersAreIdleOnlyWhenTheQueueReportListsNoTask() {
        String idle = "Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n\n";
        assertThat(PumpWarmUp.compilersIdle(idle)).isTrue();
        String compiling = "Current compiles: \nC2 CompilerThread0    1394 %     4       sun.security.provider.SHA2::implCompress0 @ 27 (490 bytes)\n\n"
                + "C1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n";
        assertThat(PumpWarmUp.compilersIdle(compiling)).isFalse();
        String queued = "Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\n"
                + "    1435       4       java.lang.Object::<init> (1 bytes)\n";
        assertThat(PumpWarmUp.compilersIdle(queued)).isFalse();
    }

    /** This JVM has the diagnostic command, and its compilers go idle: the wait ends well before its deadline. */
    @Test
    void theWaitForIdleCompilersEndsOnThisJvm() {
        long start = System.nanoTime();
        PumpWarmUp.awaitIdleCompilers(start + java.time.Duration.ofSeconds(30).toNanos());
        assertThat(System.nanoTime() - start).isLessThan(java.time.Duration.ofSeconds(29).toNanos());
    }
}

