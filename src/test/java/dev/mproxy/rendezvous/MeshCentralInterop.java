package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * MeshCentral's own code, run against mproxy: the {@code meshcentral} npm package (and {@code playwright-core} to
 * drive Debian's headless Chromium) installed by {@code npm ci} from {@code src/test/interop/meshcentral}'s lock
 * file into a cache directory, never into the repository, and the scripts there run with Node. What cannot be
 * had here (no node, npm or Chromium, or npm cannot install) skips the calling test with the reason; .ci/run
 * installs all three.
 */
public final class MeshCentralInterop {

    /** The scripts and the lock file, in the repository. */
    static final Path SCRIPTS = Path.of("src/test/interop/meshcentral");

    private static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
    private static final long INSTALL_MINUTES = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The installed node_modules; null until {@link #install()} succeeds. */
    private static Path nodeModules;
    /** Why it cannot be installed, once tried and failed. */
    private static String unavailable;

    private MeshCentralInterop() {
    }

    /**
     * Installs the packages of the lock file once per cache directory (kept while the lock file is the same), or
     * skips the test saying why it cannot.
     */
    public static synchronized void install() throws IOException, InterruptedException {
        if (nodeModules == null && unavailable == null) {
            unavailable = tryInstall();
        }
        assumeTrue(unavailable == null, () -> "MeshCentral interop skipped: " + unavailable);
    }

    private static String tryInstall() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(CHROMIUM))) {
            return CHROMIUM + " is not installed (Debian: apt-get install chromium)";
        }
        for (String tool : List.of("node", "npm")) {
            if (run(List.of(tool, "--version"), null, Map.of(), 60).exit != 0) {
                return tool + " is not installed (Debian: apt-get install nodejs npm)";
            }
        }
        String stamp = sha256(Files.readAllBytes(SCRIPTS.resolve("package.json")),
                Files.readAllBytes(SCRIPTS.resolve("package-lock.json")));
        Path cache = cacheRoot().resolve("meshcentral-1.1.55-" + stamp.substring(0, 12));
        Path modules = cache.resolve("node_modules");
        if (!Files.isDirectory(modules.resolve("meshcentral")) || !Files.isDirectory(modules.resolve("playwright-core"))) {
            Path staging = Files.createTempDirectory(cache.getParent(), "install-");
            Files.copy(SCRIPTS.resolve("package.json"), staging.resolve("package.json"));
            Files.copy(SCRIPTS.resolve("package-lock.json"), staging.resolve("package-lock.json"));
            // no install scripts run: nothing is downloaded but the packages of the lock file
            Result npm = run(List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"), staging, Map.of(),
                    TimeUnit.MINUTES.toSeconds(INSTALL_MINUTES));
            if (npm.exit != 0) {
                delete(staging);
                return "npm ci of " + SCRIPTS.resolve("package-lock.json") + " failed (" + npm.exit + "): "
                        + npm.stderr.strip();
            }
            delete(cache); // an install cut short
            Files.move(staging, cache, StandardCopyOption.ATOMIC_MOVE);
        }
        nodeModules = modules;
        return null;
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** {@code ~/.cache/mproxy-interop}, or target/ when the home directory cannot take it. */
    private static Path cacheRoot() throws IOException {
        Path home = Path.of(System.getProperty("user.home"), ".cache", "mproxy-interop");
        try {
            return Files.createDirectories(home);
        } catch (IOException e) {
            return Files.createDirectories(Path.of("target", "mproxy-interop"));
        }
    }

    /**
     * Runs one of the scripts with Node, the installed packages on its path, and returns the one line of JSON it
     * prints; a script that fails or times out fails the test with what it wrote to stderr.
     */
    public static JsonNode script(String name, Map<String, String> env, List<String> args, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", SCRIPTS.resolve(name).toAbsolutePath().toString()));
        command.addAll(args);
        Map<String, String> environment = new HashMap<>(env);
        environment.put("NODE_PATH", nodeModules.toAbsolutePath().toString());
        environment.put("CHROMIUM", CHROMIUM);
        environment.put("INTEROP_TIMEOUT_MS", Long.toString(TimeUnit.SECONDS.toMillis(timeoutSeconds)));
        Result result = run(command, null, environment, timeoutSeconds + 10);
        if (result.exit != 0) {
            throw new AssertionError(name + " exited with " + result.exit + ": " + result.stderr.strip());
        }
        String[] lines = result.stdout.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    private record Result(int exit, String stdout, String stderr) {
    }

    private static Result run(List<String> command, Path directory, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException notThere) {
            return new Result(127, "", notThere.getMessage());
        }
        process.getOutputStream().close();
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return new Result(124, out.getNow(""), "timed out after " + timeoutSeconds + " s: " + err.getNow(""));
        }
        return new Result(process.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    private static String sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
