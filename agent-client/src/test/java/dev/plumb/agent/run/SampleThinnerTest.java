package dev.plumb.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SampleThinnerTest {
    /** A sampled-mode stream with every record kind, variable-length ones included. */
    static byte[] sampledStream(int samples) {
        CaptureStreams s = new CaptureStreams().hello("/usr/bin/some-program").options(1)
                .module("/usr/lib/x86_64-linux-gnu/libc.so.6").module("/usr/bin/some-program").stack(1, 40);
        for (int i = 0; i < samples; i++) {
            s.sample(10 + i, 0x10_0000L + 64L * i, 100 + i);
            if (i % 3 == 0) {
                s.free(10 + i, 0x10_0000L + 64L * i);
            }
            if (i % 50 == 0) {
                s.stack(2 + i, 1 + i % 64);
            }
        }
        return s.counters(1, 2, 3, 4, 5, 6, 7, 8, 9).end(99_999).bytes();
    }

    /** Feeds the stream through the thinner in random chunk sizes; drop decides per chunk. */
    static byte[] thin(SampleThinner thinner, byte[] stream, long seed, java.util.function.IntPredicate drop) {
        Random random = new Random(seed);
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        int chunkNo = 0;
        for (int off = 0; off < stream.length; ) {
            int n = Math.min(stream.length - off, 1 + random.nextInt(random.nextBoolean() ? 7 : 700));
            ByteBuffer in = ByteBuffer.wrap(stream, off, n);
            ByteBuffer out = ByteBuffer.allocate(n + thinner.carried());
            thinner.process(in, out, drop.test(chunkNo++));
            assertThat(in.hasRemaining()).as("the whole chunk is consumed").isFalse();
            result.write(out.array(), 0, out.position());
            off += n;
        }
        ByteBuffer rest = ByteBuffer.allocate(thinner.carried());
        thinner.flushCarry(rest);
        result.write(rest.array(), 0, rest.position());
        return result.toByteArray();
    }

    @Test
    void withoutDroppingEveryByteComesOutUnchangedHoweverTheStreamIsCut() {
        byte[] stream = sampledStream(500);
        for (long seed = 0; seed < 20; seed++) {
            SampleThinner thinner = new SampleThinner();
            assertThat(thin(thinner, stream, seed, chunk -> false)).isEqualTo(stream);
            assertThat(thinner.sampled()).isTrue();
            assertThat(thinner.dropped()).isZero();
        }
    }

    @Test
    void droppingLeavesOutSamplesOnlyAndCountsThem() throws Exception {
        byte[] stream = sampledStream(2000);
        CaptureStreams.Counts all = CaptureStreams.Counts.of(stream);
        for (long seed = 0; seed < 10; seed++) {
            SampleThinner thinner = new SampleThinner();
            byte[] thinned = thin(thinner, stream, seed, chunk -> chunk % 4 != 0);
            CaptureStreams.Counts kept = CaptureStreams.Counts.of(thinned); // decodes: every record whole
            assertThat(thinner.dropped()).isPositive();
            assertThat(kept.samples).isEqualTo(all.samples - thinner.dropped()).isPositive();
            assertThat(kept.frees).isEqualTo(all.frees);
            assertThat(kept.stacks).isEqualTo(all.stacks);
            assertThat(kept.modules).isEqualTo(2);
            assertThat(kept.hellos).isEqualTo(1);
            assertThat(kept.counters).isEqualTo(1);
            assertThat(kept.ends).isEqualTo(1);
        }
    }

    @Test
    void aFullModeStreamIsNeverThinned() throws Exception {
        CaptureStreams s = new CaptureStreams().hello("/bin/full").options(0).stack(1, 3);
        for (int i = 0; i < 300; i++) {
            s.alloc(i, 0x2000 + 16L * i, 16).free(i, 0x2000 + 16L * i);
        }
        byte[] stream = s.end(1000).bytes();
        SampleThinner thinner = new SampleThinner();
        assertThat(thin(thinner, stream, 7, chunk -> true)).isEqualTo(stream);
        assertThat(thinner.framing()).as("framing stops at the OPTIONS record").isFalse();
        assertThat(thinner.dropped()).isZero();
    }

    @Test
    void anUnknownTagStopsFramingAndPassesTheDamageOnForTheDecoderToReport() {
        byte[] good = sampledStream(10);
        byte[] damaged = java.util.Arrays.copyOf(good, good.length + 5);
        damaged[good.length] = (byte) 'Z';
        SampleThinner thinner = new SampleThinner();
        assertThat(thin(thinner, damaged, 3, chunk -> true)).endsWith(java.util.Arrays.copyOfRange(damaged, good.length, damaged.length));
        assertThat(thinner.framing()).isFalse();
    }
}
