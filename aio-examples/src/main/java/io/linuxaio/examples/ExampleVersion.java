package io.linuxaio.examples;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What {@code --version} prints for every example, on the thread that parses the command line: the version
 * from the jar's manifest ({@code Implementation-Version}), or from the build's filtered
 * {@code version.properties} when the classes run from a directory (no manifest there).
 */
final class ExampleVersion implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"${COMMAND-NAME} (linux-aio examples) " + version(),
                "Java ${java.version} (${java.vendor} ${java.vm.name}), ${os.name} ${os.version} ${os.arch}"};
    }

    /** {@return the examples' version} */
    static String version() {
        String fromManifest = ExampleVersion.class.getPackage().getImplementationVersion();
        if (fromManifest != null) {
            return fromManifest;
        }
        try (InputStream in = ExampleVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
