package dev.plumb.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CaptureReaderTest {

    /** Little-endian record builder. */
    static final class Stream {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Stream u8(int v) {
            out.write(v);
            return this;
        }

        Stream u16(int v) {
            return put(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v));
        }

        Stream u32(int v) {
            return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v));
        }

        Stream u64(long v) {
            return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v));
        }

        Stream bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Stream str16(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u16(b.length).bytes(b);
        }

        private Stream put(ByteBuffer b) {
            out.writeBytes(b.array());
            return this;
        }

        byte[] toBytes() {
            return out.toByteArray();
        }
    }

    static byte[] sample() {
        return new Stream()
                .u8('H').u32(4242).u64(1_700_000_000_000_000L).str16("/usr/bin/leaky")
                .u8('O').u8(1).u64(524288).u16(64).u32(0b1010)
                .u8('M').u64(0x5550000L).u64(0x5550000L).u64(0x5560000L).str16("/usr/bin/leaky")
                .u8(4).bytes(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef})
                .u8('M').u64(0).u64(0x1000).u64(0x2000).str16("linux-vdso.so.1").u8(0)
                .u8('S').u32(1).u16(3).u64(0x5551234L).u64(0x5551300L).u64(0xffff_ffff_ffff_fff0L)
                .u8('A').u64(1_700_000_000_000_010L).u64(0x7f00_0000_1000L).u64(4096).u32(1).u32(4242)
                .u8('A').u64(1_700_000_000_000_011L).u64(0x7f00_0000_2000L).u64(16).u32(1).u32(4243)
                .u8('F').u64(1_700_000_000_000_012L).u64(0x7f00_0000_2000L)
                .u8('P').u64(1_700_000_000_000_013L).u64(0x7f00_0000_3000L).u64(100).u32(1).u32(4242)
                .u64(Double.doubleToLongBits(5243.38))
                .u8('T').u64(1_700_000_000_000_014L).u8(0)
                .u8('K').u64(1_700_000_000_000_015L).u16(3).u64(10).u64(2).u64(77)
                .u8('E').u64(1_700_000_000_000_020L)
                .toBytes();
    }

    @Test
    void decodesEveryRecordType() throws IOException {
        RecordingListener l = new RecordingListener();
        new CaptureReader(new ByteArrayInputStream(sample()), l).run();

        assertThat(l.tags).hasToString("HOMMSAAFATKE");
        assertThat(l.options).containsExactly(new CaptureOptions(true, 524288, 64, false, true, false, true));
        assertThat(l.hellos).containsExactly(new RecordingListener.Hello(4242, "/usr/bin/leaky", 1_700_000_000_000_000L));
        assertThat(l.modules).containsExactly(
                new ModuleInfo("/usr/bin/leaky", 0x5550000L, 0x5550000L, 0x5560000L, "deadbeef"),
                new ModuleInfo("linux-vdso.so.1", 0, 0x1000, 0x2000, ""));
        assertThat(l.stacks.get(1)).containsExactly(0x5551234L, 0x5551300L, 0xffff_ffff_ffff_fff0L);
        assertThat(l.allocs).containsExactly(
                new RecordingListener.Alloc(1_700_000_000_000_010L, 0x7f00_0000_1000L, 4096, 1, 4242, 1.0),
                new RecordingListener.Alloc(1_700_000_000_000_011L, 0x7f00_0000_2000L, 16, 1, 4243, 1.0),
                new RecordingListener.Alloc(1_700_000_000_000_013L, 0x7f00_0000_3000L, 100, 1, 4242, 5243.38));
        assertThat(l.toggles).containsExactly(new RecordingListener.Toggle(1_700_000_000_000_014L, false));
        assertThat(l.counters).containsExactly(new CaptureCounters(10, 2, 77, 0, 0, 0, 0, 0, 0, 0, 0));
        assertThat(l.frees).containsExactly(new RecordingListener.Free(1_700_000_000_000_012L, 0x7f00_0000_2000L));
        assertThat(l.ends).containsExactly(1_700_000_000_000_020L);
    }

    @Test
    void emptyStreamIsACleanEnd() throws IOException {
        RecordingListener l = new RecordingListener();
        new CaptureReader(InputStream.nullInputStream(), l).run();
        assertThat(l.tags).isEmpty();
    }

    @Test
    void oneByteAtATimeDecodesTheSame() throws IOException {
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(sample())) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        RecordingListener l = new RecordingListener();
        new CaptureReader(trickle, l).run();
        assertThat(l.tags).hasToString("HOMMSAAFATKE");
    }

    @Test
    void sampleWeightBelowOneIsRejected() {
        byte[] bad = new Stream().u8('P').u64(1).u64(0x1000).u64(8).u32(1).u32(1)
                .u64(Double.doubleToLongBits(0.5)).toBytes();
        assertThatThrownBy(() -> new CaptureReader(new ByteArrayInputStream(bad), new RecordingListener()).run())
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("SAMPLE record at offset 0 has weight 0.5");
    }

    @Test
    void truncatedStreamNamesTheOffset() {
        byte[] full = sample();
        // cut inside the first ALLOC: after its tag and 5 bytes of tMicros
        int allocAt = indexOfTag(full, 'A');
        byte[] cut = Arrays.copyOf(full, allocAt + 1 + 5);
        assertThatThrownBy(() -> new CaptureReader(new ByteArrayInputStream(cut), new RecordingListener()).run())
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("expected u64 tMicros (8 bytes) at offset " + (allocAt + 1))
                .hasMessageContaining("ALLOC record starting at offset " + allocAt)
                .hasMessageContaining("stream ends at offset " + (allocAt + 6))
                .satisfies(e -> assertThat(((CaptureFormatException) e).offset()).isEqualTo(allocAt + 1));
    }

    @Test
    void everyTruncationPointInsideARecordFails() throws IOException {
        byte[] full = sample();
        int[] boundaries = recordBoundaries(full);
        for (int len = 0; len <= full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            boolean atBoundary = Arrays.binarySearch(boundaries, len) >= 0;
            RecordingListener l = new RecordingListener();
            if (atBoundary) {
                new CaptureReader(new ByteArrayInputStream(cut), l).run();
            } else {
                int n = len;
                assertThatThrownBy(() -> new CaptureReader(new ByteArrayInputStream(cut), l).run())
                        .as("cut at %d", n)
                        .isInstanceOf(CaptureFormatException.class)
                        .hasMessageContaining("stream ends at offset " + n);
            }
        }
    }

    @Test
    void unknownTagNamesTheOffset() {
        byte[] full = sample();
        byte[] bad = Arrays.copyOf(full, full.length + 3);
        bad[full.length] = 'Z';
        assertThatThrownBy(() -> new CaptureReader(new ByteArrayInputStream(bad), new RecordingListener()).run())
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("unknown record tag 0x5a at offset " + full.length);
    }

    private static int indexOfTag(byte[] stream, char tag) {
        int[] b = recordBoundaries(stream);
        for (int start : b) {
            if (start < stream.length && stream[start] == tag) {
                return start;
            }
        }
        throw new AssertionError("no " + tag);
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }

    /** Start offsets of all records plus the total length, using the test's own decoding. */
    private static int[] recordBoundaries(byte[] s) {
        ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        while (b.hasRemaining()) {
            out.add(b.position());
            char tag = (char) b.get();
            switch (tag) {
                case 'H' -> {
                    b.position(b.position() + 12);
                    skip(b, Short.toUnsignedInt(b.getShort()));
                }
                case 'M' -> {
                    b.position(b.position() + 24);
                    skip(b, Short.toUnsignedInt(b.getShort()));
                    skip(b, Byte.toUnsignedInt(b.get()));
                }
                case 'S' -> {
                    b.position(b.position() + 4);
                    skip(b, 8 * Short.toUnsignedInt(b.getShort()));
                }
                case 'O' -> b.position(b.position() + 15);
                case 'A' -> b.position(b.position() + 32);
                case 'P' -> b.position(b.position() + 40);
                case 'T' -> b.position(b.position() + 9);
                case 'K' -> {
                    b.position(b.position() + 8);
                    skip(b, 8 * Short.toUnsignedInt(b.getShort()));
                }
                case 'F' -> b.position(b.position() + 16);
                case 'E' -> b.position(b.position() + 8);
                default -> throw new AssertionError(tag);
            }
        }
        out.add(s.length);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
