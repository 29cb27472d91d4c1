package dev.plumb.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    static Hello hello() {
        return new Hello(FrameCodec.PROTOCOL_VERSION, "s3cret", UUID.randomUUID(), "host-a", "proxy", "v42",
                1234, "/usr/bin/proxy", 1_700_000_000_000_000L, Map.of("region", "cdg"));
    }

    static Batch batch() {
        return new Batch(7,
                List.of(new Batch.StackDef(1, List.of(
                        new Batch.StackFrame("leak_request_trace", "leaky", "leaky.c", 42),
                        new Batch.StackFrame("main", "leaky", "", 0)))),
                List.of(new Batch.Alloc(10, 1, 4096, 100), new Batch.Alloc(11, 1, 16, 101, 32768.5)),
                List.of(new Batch.Free(11, 102, 1, 16, 101, 32768.5)), 0);
    }

    static Frame roundTrip(Frame f) throws Exception {
        byte[] bytes = FrameCodec.encode(f);
        assertThat(ByteBuffer.wrap(bytes).getInt()).isEqualTo(bytes.length - 4);
        return FrameCodec.decode(ByteBuffer.wrap(bytes, 4, bytes.length - 4));
    }

    @Test
    void everyFrameTypeRoundTrips() throws Exception {
        Hello h = hello();
        assertThat(roundTrip(h)).isEqualTo(h);
        assertThat(roundTrip(batch())).isEqualTo(batch());
        assertThat(roundTrip(new Welcome(1, 99))).isEqualTo(new Welcome(1, 99));
        assertThat(roundTrip(new Ack(5))).isEqualTo(new Ack(5));
        ErrorFrame e = new ErrorFrame(ErrorCode.UNAUTHORIZED, "bad token");
        assertThat(roundTrip(e)).isEqualTo(e);
    }

    @Test
    void helloToStringNeverShowsTheToken() {
        assertThat(hello().toString()).doesNotContain("s3cret");
    }

    @Test
    void truncatedFrameIsRejectedWithAMessage() {
        byte[] bytes = FrameCodec.encode(batch());
        ByteBuffer shortBody = ByteBuffer.wrap(bytes, 4, bytes.length - 10);
        assertThatThrownBy(() -> FrameCodec.decode(shortBody))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("BATCH")
                .satisfies(t -> assertThat(((WireException) t).code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] bytes = FrameCodec.encode(new Ack(3));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);
        assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(longer, 4, longer.length - 4)))
                .isInstanceOf(WireException.class).hasMessageContaining("trailing");
    }

    @Test
    void anOlderAgentIsRefusedWithWhatToUpgrade() throws Exception {
        Hello old = new Hello(1, "t", UUID.randomUUID(), "h", "s", "d", 1, "e", 0, Map.of());
        Hello decoded = (Hello) roundTrip(old);
        assertThat(decoded.protocolVersion()).isEqualTo(1);
        assertThatThrownBy(() -> FrameCodec.negotiate(decoded.protocolVersion()))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("version 1").hasMessageContaining("upgrade the agent")
                .satisfies(t -> assertThat(((WireException) t).code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION));
    }

    @Test
    void aNewerAgentIsAnsweredWithTheNewestVersionBothSpeak() throws Exception {
        assertThat(FrameCodec.negotiate(99)).isEqualTo(FrameCodec.PROTOCOL_VERSION);
        assertThat(FrameCodec.negotiate(FrameCodec.PROTOCOL_VERSION)).isEqualTo(FrameCodec.PROTOCOL_VERSION);
    }

    @Test
    void aFreeBeforeItsAllocationIsRejected() {
        Batch b = new Batch(1, List.of(), List.of(), List.of(new Batch.Free(1, 100, 1, 8, 200, 1)), 0);
        byte[] bytes = FrameCodec.encode(b);
        assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(bytes, 4, bytes.length - 4)))
                .isInstanceOf(WireException.class).hasMessageContaining("precedes the allocation");
    }

    @Test
    void wrongMagicIsRejected() {
        byte[] bytes = FrameCodec.encode(hello());
        bytes[5] = 'X';
        assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(bytes, 4, bytes.length - 4)))
                .isInstanceOf(WireException.class).hasMessageContaining("magic");
    }

    @Test
    void unknownTypeIsRejected() {
        assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(new byte[] {42, 0, 0})))
                .isInstanceOf(WireException.class).hasMessageContaining("unknown frame type 42");
    }

    @Test
    void oversizedLengthIsRejectedBeforeBuffering() {
        assertThatThrownBy(() -> FrameCodec.checkLength(FrameCodec.MAX_FRAME_BYTES + 1L))
                .isInstanceOf(WireException.class)
                .satisfies(t -> assertThat(((WireException) t).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
    }

    @Test
    void hugeCountsAreNotBelieved() throws Exception {
        ByteBuffer body = ByteBuffer.allocate(1 + 8 + 8 + 4);
        body.put((byte) FrameType.BATCH.code()).putLong(1).putLong(0).putInt(Integer.MAX_VALUE).flip();
        assertThatThrownBy(() -> FrameCodec.decode(body))
                .isInstanceOf(WireException.class).hasMessageContaining("claims");
    }

    @Test
    void sampleWeightBelowOneOrNotANumberIsRejected() {
        for (double weight : new double[] {0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            Batch b = new Batch(1, List.of(), List.of(new Batch.Alloc(1, 1, 8, 1, weight)), List.of(), 0);
            byte[] bytes = FrameCodec.encode(b);
            assertThatThrownBy(() -> FrameCodec.decode(ByteBuffer.wrap(bytes, 4, bytes.length - 4)))
                    .isInstanceOf(WireException.class).hasMessageContaining("weight");
        }
    }

    @Test
    void invalidUtf8IsRejected() {
        ByteBuffer body = ByteBuffer.allocate(1 + 2 + 2 + 2);
        body.put((byte) FrameType.ERROR.code()).putShort((short) 1).putShort((short) 2)
                .put((byte) 0xc3).put((byte) 0x28).flip();
        assertThatThrownBy(() -> FrameCodec.decode(body))
                .isInstanceOf(WireException.class).hasMessageContaining("UTF-8");
    }

    @Test
    void readerReadsFramesAndReportsTruncatedStreams() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(FrameCodec.encode(hello()));
        out.write(FrameCodec.encode(batch()));
        byte[] all = out.toByteArray();
        FrameReader reader = new FrameReader(new ByteArrayInputStream(all));
        assertThat(reader.read()).isInstanceOf(Hello.class);
        assertThat(reader.read()).isEqualTo(batch());
        assertThat(reader.read()).isNull();

        FrameReader cut = new FrameReader(new ByteArrayInputStream(Arrays.copyOf(all, all.length - 3)));
        cut.read();
        assertThatThrownBy(cut::read).isInstanceOf(WireException.class).hasMessageContaining("stream ended");
    }
}
