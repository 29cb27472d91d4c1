package dev.plumb.agent.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Makes the native parts shipped inside the jar available as files: the capture library, for
 * LD_PRELOAD to name, and {@code plumb-idle}, the helper that lowers the agent's threads to
 * SCHED_IDLE in sampled mode.
 */
public final class CaptureLibrary {
    /** Classpath location of the library; {@code make -C agent-client/native} puts it there. */
    public static final String RESOURCE = "/dev/plumb/agent/native/libplumb.so";
    /** Classpath location of the SCHED_IDLE helper (agent-client/native/plumb-idle.c). */
    public static final String IDLE_HELPER_RESOURCE = "/dev/plumb/agent/native/plumb-idle";

    private CaptureLibrary() {
    }

    /**
     * Copies the library to {@code ${java.io.tmpdir}/plumb-<uid>/libplumb-<sha256 prefix>.so}
     * (directory created with mode 0700, file written to a temporary name and moved into place
     * atomically) and returns that path. A file already there with the same content is reused.
     *
     * @throws IllegalStateException if the resource is missing (the native build did not run),
     *     or the file cannot be written
     */
    public static Path extract() {
        return extract(RESOURCE, "libplumb-", ".so");
    }

    /** The SCHED_IDLE helper, extracted like the library ({@code plumb-idle-<sha256 prefix>}). */
    public static Path extractIdleHelper() {
        return extract(IDLE_HELPER_RESOURCE, "plumb-idle-", "");
    }

    private static Path extract(String resource, String prefix, String suffix) {
        byte[] content;
        try (InputStream in = CaptureLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("native part not built: run mvn -B package "
                        + "(classpath resource " + resource + " is missing)");
            }
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read native resource " + resource, e);
        }
        String hash = HexFormat.of().formatHex(sha256(content)).substring(0, 16);
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "plumb-" + owner());
        Path target = dir.resolve(prefix + hash + suffix);
        try {
            createPrivateDir(dir);
            if (Files.isRegularFile(target) && Arrays.equals(sha256(Files.readAllBytes(target)), sha256(content))) {
                return target;
            }
            Path tmp = Files.createTempFile(dir, prefix, ".tmp");
            try {
                Files.write(tmp, content);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot extract " + resource + " to " + target + ": " + e, e);
        }
    }

    private static void createPrivateDir(Path dir) throws IOException {
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // reuse; make sure a shared tmpdir did not hand us somebody else's directory
        }
        if (!Files.isDirectory(dir) || Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        Object dirOwner = Files.getAttribute(dir, "unix:uid");
        Object me = uid();
        if (me != null && !me.equals(dirOwner)) {
            throw new IOException(dir + " belongs to uid " + dirOwner + ", not to this process (uid " + me + ")");
        }
    }

    private static String owner() {
        Object uid = uid();
        return uid != null ? uid.toString() : System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** This process's uid (owner of /proc/self), or null where that is not available. */
    private static Object uid() {
        try {
            return Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
