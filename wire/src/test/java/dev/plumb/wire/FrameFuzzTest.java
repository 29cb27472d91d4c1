package dev.plumb.wire;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever bytes arrive, the decoder either returns a frame or throws WireException. */
class FrameFuzzTest {

    @Property(tries = 3000)
    void randomBodiesNeverEscapeAsOtherExceptions(@ForAll("bodies") byte[] body) {
        try {
            FrameCodec.decode(ByteBuffer.wrap(body));
        } catch (WireException expected) {
            // a clear rejection is the only other allowed outcome
        }
    }

    @Property(tries = 2000)
    void mutatedValidFramesNeverEscape(@ForAll("mutations") int[] flips) {
        byte[] frame = FrameCodec.encode(FrameCodecTest.batch());
        byte[] body = java.util.Arrays.copyOfRange(frame, 4, frame.length);
        for (int flip : flips) {
            int at = Math.floorMod(flip, body.length);
            body[at] = (byte) (body[at] ^ (flip >>> 8));
        }
        try {
            FrameCodec.decode(ByteBuffer.wrap(body));
        } catch (WireException expected) {
            // fine
        }
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300)
                .map(b -> {
                    b[0] = (byte) (1 + Math.floorMod(b[0], 5));
                    return b;
                });
    }

    @Provide
    Arbitrary<int[]> mutations() {
        return Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(6);
    }
}
