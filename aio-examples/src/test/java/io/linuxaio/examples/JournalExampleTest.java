package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the {@code journal} example against the real kernel, buffered and with O_DIRECT, and reads the
 * file it leaves back with a parser of its own (not the example's), so that a bug shared by writer and
 * verifier cannot hide.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.linuxaio.testing.LeakCheck.class)
class JournalExampleTest {

    private static final int PRODUCERS = 4;
    private static final int RECORDS = 20_000;
    private static final int RECORD_SIZE = 256;

    @TempDir
    Path dir;

    // SEPARATE_THREAD: a lost completion would block AioContext.close() uninterruptibly; fail instead of hanging
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bufferedJournalGroupCommitsAndEveryRecordIsOnDisk() throws IOException {
        check(false);
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void directJournalGroupCommitsAndEveryRecordIsOnDisk() throws IOException {
        check(true);
    }

    @Test
    void helpNamesTheCommand() {
        StringWriter sw = new StringWriter();
        int code = new CommandLine(new Journal()).setOut(new PrintWriter(sw, true)).execute("--help");
        assertEquals(0, code);
        assertTrue(sw.toString().contains("Usage: journal"), sw.toString());
        assertTrue(sw.toString().contains("--direct"), sw.toString());
    }

    @Test
    void aRecordLargerThanABatchIsRefused() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Journal()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("--record-size", "4096", "--max-batch-kib", "1", "--no-progress");
        assertEquals(CommandLine.ExitCode.USAGE, code);
        assertTrue(err.toString().contains("--max-batch-kib"), err.toString());
    }

    @Test
    void aDirectoryGivenAsTheFileIsRefusedAndKept() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("empty-dir"));
        ExampleErrorsTest.Run run = ExampleErrorsTest.run(new Journal(), "--no-progress", "--records", "10",
                "--file", sub.toString());
        ExampleErrorsTest.assertOneLine(run, 1, sub + ": is a directory");
        assertTrue(Files.isDirectory(sub), "the directory is still there");
        run = ExampleErrorsTest.run(new Journal(), "--no-progress", "--records", "10", "--replace", "--file", sub.toString());
        ExampleErrorsTest.assertOneLine(run, 1, sub + ": is a directory");
        assertTrue(Files.isDirectory(sub), "--replace does not replace a directory");
    }

    @Test
    void anExistingFileIsRefusedUnlessToldToReplaceItAndAReplacedFileIsKept() throws IOException {
        Path existing = Files.writeString(dir.resolve("precious.log"), "precious");
        ExampleErrorsTest.Run run = ExampleErrorsTest.run(new Journal(), "--no-progress", "--records", "10",
                "--file", existing.toString());
        ExampleErrorsTest.assertOneLine(run, 1, existing + ": already exists", "--replace");
        assertEquals("precious", Files.readString(existing), "untouched");

        run = ExampleErrorsTest.run(new Journal(), "--no-progress", "--records", "12", "--replace",
                "--producers", String.valueOf(PRODUCERS), "--record-size", String.valueOf(RECORD_SIZE),
                "--file", existing.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertTrue(Files.exists(existing), "a file that was there before is not deleted, even without --keep");
        assertTrue(run.out().contains("kept " + existing + " (it was there before)"), run.out());
        assertEquals(12, parse(existing).records(), "the replaced file holds the new journal");
    }

    @Test
    void aFileTheJournalCreatedIsDeletedUnlessKept() throws IOException {
        Path created = dir.resolve("new.log");
        ExampleErrorsTest.Run run = ExampleErrorsTest.run(new Journal(), "--no-progress", "--records", "10",
                "--file", created.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertFalse(Files.exists(created), "the journal's own file goes at the end");
    }

    private void check(boolean direct) throws IOException {
        Path file = dir.resolve(direct ? "direct.journal" : "buffered.journal");
        List<String> args = new ArrayList<>(List.of("--producers", String.valueOf(PRODUCERS),
                "--records", String.valueOf(RECORDS), "--record-size", String.valueOf(RECORD_SIZE),
                "--no-progress", "--file", file.toString(), "--keep"));
        if (direct) {
            args.add("--direct");
        }
        StringWriter sw = new StringWriter();
        PrintWriter pw = new PrintWriter(sw, true);
        int code = new CommandLine(new Journal()).setOut(pw).setErr(pw).execute(args.toArray(String[]::new));
        String output = sw.toString();

        assertEquals(0, code, output);
        assertTrue(output.contains("durable: " + RECORDS + " of " + RECORDS + " records"), output);
        assertTrue(output.contains("records/s"), output);
        assertTrue(output.contains("p99.9"), output);
        Matcher m = Pattern.compile("batches: (\\d+)").matcher(output);
        assertTrue(m.find(), output);
        long batches = Long.parseLong(m.group(1));
        assertTrue(batches >= 1 && batches < RECORDS, "no group commit: " + batches + " batches for " + RECORDS
                + " records\n" + output);
        assertTrue(output.contains("kept " + file), output);

        Parsed parsed = parse(file);
        assertEquals(RECORDS, parsed.records, output);
        if (direct) {
            assertTrue(parsed.block >= 512, "block " + parsed.block);
            assertEquals(0, Files.size(file) % parsed.block, "the file ends on a block: the preallocated tail is cut");
        } else {
            assertEquals(8, parsed.block);
        }
        // every producer's records are there exactly once: the first 8 payload bytes are (producer << 40 | n)
        for (int p = 0; p < PRODUCERS; p++) {
            assertEquals(RECORDS / PRODUCERS, parsed.seen[p].cardinality(), "records of producer " + p);
            assertEquals(RECORDS / PRODUCERS, parsed.seen[p].nextClearBit(0), "records of producer " + p);
        }
    }

    private record Parsed(int block, long records, BitSet[] seen) {
    }

    /**
     * The journal format, read independently: header {@code [magic "LAIOJRNL"][int version 1][int block]},
     * then frames {@code [int length][int crc32c over length, sequence, payload][long sequence][payload]}
     * padded to 8; a zero length ends the log at a block boundary and is a batch's padding elsewhere.
     */
    private static Parsed parse(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(0, magic);
        assertEquals("LAIOJRNL", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt(8));
        int block = b.getInt(12);
        assertTrue(block >= 8 && Integer.bitCount(block) == 1, "block " + block);
        BitSet[] seen = new BitSet[PRODUCERS];
        for (int p = 0; p < PRODUCERS; p++) {
            seen[p] = new BitSet();
        }
        CRC32C crc = new CRC32C();
        long expected = 0;
        int pos = Math.max(16, block);
        int paddings = 0;
        while (pos + 4 <= b.limit()) {
            int length = b.getInt(pos);
            if (length == 0) {
                if (pos % block == 0) {
                    break;
                }
                pos = (pos + block - 1) / block * block;
                paddings++;
                continue;
            }
            assertEquals(16 + RECORD_SIZE, length, "frame length at offset " + pos);
            assertTrue(pos + length <= b.limit(), "torn frame at offset " + pos);
            crc.reset();
            crc.update(b.array(), pos, 4);
            crc.update(b.array(), pos + 8, length - 8);
            assertEquals((int) crc.getValue(), b.getInt(pos + 4), "CRC32C of the frame at offset " + pos);
            assertEquals(expected, b.getLong(pos + 8), "sequence number at offset " + pos);
            long tag = b.getLong(pos + 16);
            int producer = (int) (tag >>> 40);
            int n = (int) (tag & ((1L << 40) - 1));
            assertTrue(producer >= 0 && producer < PRODUCERS, "producer " + producer + " at offset " + pos);
            assertFalse(seen[producer].get(n), "record " + n + " of producer " + producer + " twice");
            seen[producer].set(n);
            expected++;
            pos += (length + 7) & ~7;
        }
        // nothing but zeros may follow the end of the log
        for (int i = pos; i < b.limit(); i++) {
            assertEquals(0, b.get(i), "byte at offset " + i + " after the end of the log");
        }
        if (block == 8) {
            assertEquals(0, paddings, "buffered batches are contiguous");
        }
        return new Parsed(block, expected, seen);
    }
}
