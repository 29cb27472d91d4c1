package dev.plumb.web.imports;

/**
 * A file that cannot be imported. The message names the format, what is wrong and where
 * (line or byte offset), e.g. "heaptrack recording is truncated at line 1234: …"; the API
 * answers it as 400 and nothing of the file is stored.
 */
public class ImportException extends Exception {
    public ImportException(String message) {
        super(message, null, false, false);
    }

    public ImportException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
