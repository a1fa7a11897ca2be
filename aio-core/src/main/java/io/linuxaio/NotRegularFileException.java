package io.linuxaio;

import java.nio.file.FileSystemException;

/**
 * Thrown when a file to open for AIO is not a regular file or a block device (a directory, say): AIO reads
 * and writes need one of those. {@link #fileType()} names what it is. Any thread.
 */
public final class NotRegularFileException extends FileSystemException {

    private static final long serialVersionUID = 1L;

    private final String fileType;

    /**
     * @param file the path
     * @param fileType what the file is ("directory", ...)
     */
    public NotRegularFileException(String file, String fileType) {
        super(file, null, "is a " + fileType + ": AIO reads and writes need a regular file or a block device");
        this.fileType = fileType;
    }

    /** What the file is: "directory", ... */
    public String fileType() {
        return fileType;
    }
}
