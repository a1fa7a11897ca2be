package io.linuxaio.examples;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteSizeTest {

    @Test
    void numbersWithBinaryUnitsInEitherCase() {
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(4096, ByteSize.parse("4k"));
        assertEquals(64 * 1024, ByteSize.parse(" 64K "));
        assertEquals(1L << 20, ByteSize.parse("1M"));
        assertEquals(1L << 30, ByteSize.parse("1g"));
        assertEquals(3L << 40, ByteSize.parse("3T"));
        assertEquals(0, ByteSize.parse("0"));
    }

    @Test
    void whatIsNotASizeIsRefused() {
        for (String bad : new String[] {"", "k", "1.5m", "12x", "4 kb", "9223372036854775807k"}) {
            assertThrows(TypeConversionException.class, () -> ByteSize.parse(bad), bad);
        }
    }

    @Test
    void aBufferSizeIsFromOneByteTo1024M() {
        ByteSize.BufferSize converter = new ByteSize.BufferSize();
        assertEquals(128 * 1024, converter.convert("128K"));
        assertEquals(1 << 30, converter.convert("1024M"));
        assertEquals(1 << 30, converter.convert("1g"));
        assertThrows(TypeConversionException.class, () -> converter.convert("0"));
        assertThrows(TypeConversionException.class, () -> converter.convert("1025M"));
        assertThrows(TypeConversionException.class, () -> converter.convert("-4k"));
    }

    @Test
    void anySizeAsALong() {
        assertEquals(1L << 30, new ByteSize.Bytes().convert("1g"));
        assertEquals(5L << 40, new ByteSize.Bytes().convert("5t"));
    }
}
