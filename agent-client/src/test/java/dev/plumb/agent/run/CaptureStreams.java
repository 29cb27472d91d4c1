package dev.plumb.agent.run;

import dev.plumb.agent.capture.CaptureListener;
import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.capture.ModuleInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds capture streams in the library's record format, and counts what a decoder makes of them. */
final class CaptureStreams {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private CaptureStreams put(int capacity, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        out.write(b.array(), 0, b.position());
        return this;
    }

    CaptureStreams hello(String exe) {
        byte[] e = exe.getBytes(StandardCharsets.UTF_8);
        return put(15 + e.length, b -> b.put((byte) 'H').putInt(42).putLong(1_000_000L).putShort((short) e.length).put(e));
    }

    /** mode 0 full, 1 sampled. */
    CaptureStreams options(int mode) {
        return put(16, b -> b.put((byte) 'O').put((byte) mode).putLong(mode == 1 ? 4096 : 0).putShort((short) 64).putInt(0));
    }

    CaptureStreams module(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        return put(28 + p.length + 3, b -> b.put((byte) 'M').putLong(0).putLong(0x1000).putLong(0x2000)
                .putShort((short) p.length).put(p).put((byte) 3).put(new byte[] {1, 2, 3}));
    }

    CaptureStreams stack(int id, int depth) {
        return put(7 + 8 * depth, b -> {
            b.put((byte) 'S').putInt(id).putShort((short) depth);
            for (int i = 0; i < depth; i++) {
                b.putLong(0x1000 + i);
            }
        });
    }

    CaptureStreams alloc(long t, long address, long size) {
        return put(37, b -> b.put((byte) 'A').putLong(t).putLong(address).putLong(size).putInt(1).putInt(7));
    }

    CaptureStreams sample(long t, long address, long size) {
        return put(45, b -> b.put((byte) 'P').putLong(t).putLong(address).putLong(size).putInt(1).putInt(7).putDouble(2.5));
    }

    CaptureStreams free(long t, long address) {
        return put(17, b -> b.put((byte) 'F').putLong(t).putLong(address));
    }

    CaptureStreams counters(long... values) {
        return put(11 + 8 * values.length, b -> {
            b.put((byte) 'K').putLong(1).putShort((short) values.length);
            for (long v : values) {
                b.putLong(v);
            }
        });
    }

    CaptureStreams end(long t) {
        return put(9, b -> b.put((byte) 'E').putLong(t));
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** What a decoder sees of a stream: record counts by kind. */
    static final class Counts implements CaptureListener {
        int hellos;
        int modules;
        int stacks;
        int allocs;
        int samples;
        int frees;
        int counters;
        int ends;

        static Counts of(byte[] stream) throws IOException {
            return of(new ByteArrayInputStream(stream));
        }

        static Counts of(InputStream stream) throws IOException {
            Counts c = new Counts();
            new CaptureReader(stream, c).run();
            return c;
        }

        @Override
        public void onHello(int pid, String exe, long startedAtMicros) {
            hellos++;
        }

        @Override
        public void onModule(ModuleInfo module) {
            modules++;
        }

        @Override
        public void onStack(int nativeStackId, long[] returnAddresses) {
            stacks++;
        }

        @Override
        public void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId, double weight) {
            if (weight == 1.0) {
                allocs++;
            } else {
                samples++;
            }
        }

        @Override
        public void onFree(long atMicros, long address) {
            frees++;
        }

        @Override
        public void onCounters(long atMicros, dev.plumb.agent.capture.CaptureCounters c) {
            counters++;
        }

        @Override
        public void onEnd(long atMicros) {
            ends++;
        }
    }
}
