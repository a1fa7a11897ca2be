package io.linuxaio;

import java.nio.file.FileSystemException;

/**
 * Thrown when a file to open for AIO is not a regular file or a block device (a directory, say): AIO reads
 * and writes need one of those. {@link #fileType()} names what it is. Any thread.
 */
public final class NotRegularFileException extends FileSystemException {

    private static final long serialVersionUID = 1L;

    /** What the file is. */
    private final String fileType;

    /**
     * An exception for a file that AIO cannot serve.
     *
     * @param file the path
     * @param fileType what the file is ("directory", ...)
     */
    public NotRegularFileException(String file, String fileType) {
        super(file, null, "is a " + fileType + ": AIO reads and writes need a regular file or a block device");
        this.fileType = fileType;
    }

    /** {@return what the file is: "directory", "FIFO", "socket", "character device"} */
    public String fileType() {
        return fileType;
    }
}
