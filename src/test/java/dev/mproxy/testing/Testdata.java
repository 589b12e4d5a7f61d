package dev.mproxy.testing;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** The golden vectors in {@code testdata/} (tests run from the project directory; see testdata/README.md). */
public final class Testdata {

    public static final Path ROOT = Path.of("testdata");

    private Testdata() {
    }

    /** Sorted case names in {@code folder}: file names ending in {@code suffix}, without it. */
    public static Stream<String> files(String folder, String suffix) {
        return list(folder, p -> p.getFileName().toString().endsWith(suffix))
                .map(n -> n.substring(0, n.length() - suffix.length()));
    }

    /** Sorted names of the case folders in {@code folder}. */
    public static Stream<String> folders(String folder) {
        return list(folder, Files::isDirectory);
    }

    /** A {@code key=value} expectation file such as {@code invalid/<case>.expect}. */
    public static Properties expectations(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            p.load(reader);
        }
        return p;
    }

    private static Stream<String> list(String folder, Predicate<Path> filter) {
        try (Stream<Path> entries = Files.list(ROOT.resolve(folder))) {
            return entries.filter(filter).map(p -> p.getFileName().toString()).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
