package dev.mproxy.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --config FILE}: a TOML file whose keys are the command's long options without their {@code --}
 * ({@code listen = "0.0.0.0:7443"}, {@code tcp = ["10022=127.0.0.1:22"]}, {@code no-tls = true}). Its values
 * become options placed before the command line's, so they go through the same parsing, checks and typed model
 * as typed options, and the command line wins: an option given there replaces the file's value, lists
 * included.
 */
final class ConfigFile {

    static final String OPTION = "--config";

    /** Options a file cannot set: they are about the command line itself. */
    private static final Set<String> NOT_IN_FILES = Set.of("config", "help", "version");

    private ConfigFile() {
    }

    /** A file that cannot be used: its message names the file and what is wrong. */
    static final class BadConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        BadConfigException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * {@code args} with the options of the {@code --config} file, if any, put in before the command line's
     * options for the subcommand; {@code args} as they are without one.
     */
    static String[] expand(CommandLine top, String[] args) throws BadConfigException {
        return expand(top, args, given -> { });
    }

    /** As {@link #expand(CommandLine, String[])}; {@code commandLine} is told the subcommand's own arguments. */
    static String[] expand(CommandLine top, String[] args, java.util.function.Consumer<List<String>> commandLine)
            throws BadConfigException {
        int sub = -1;
        for (int i = 0; i < args.length && sub < 0; i++) {
            if (top.getSubcommands().containsKey(args[i])) {
                sub = i;
            }
        }
        if (sub < 0) {
            return args;
        }
        commandLine.accept(List.of(args).subList(sub + 1, args.length));
        Path file = null;
        for (int i = sub + 1; i < args.length; i++) {
            if (args[i].equals(OPTION) && i + 1 < args.length) {
                file = Path.of(args[i + 1]);
            } else if (args[i].startsWith(OPTION + "=")) {
                file = Path.of(args[i].substring(OPTION.length() + 1));
            } else if (args[i].equals("--")) {
                break;
            }
        }
        if (file == null) {
            return args;
        }
        CommandSpec spec = top.getSubcommands().get(args[sub]).getCommandSpec();
        List<String> given = List.of(args).subList(sub + 1, args.length);
        List<String> expanded = new ArrayList<>(List.of(args).subList(0, sub + 1));
        expanded.addAll(options(spec, file, given));
        expanded.addAll(given);
        return expanded.toArray(String[]::new);
    }

    /** The file's settings as options, without those the command line {@code given} already sets. */
    static List<String> options(CommandSpec spec, Path file, List<String> given) throws BadConfigException {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(file.toFile()); // made here: commands without a file never load it
        } catch (JacksonException e) {
            throw new BadConfigException(file + ": not valid TOML: " + e.getOriginalMessage());
        } catch (NoSuchFileException e) {
            throw new BadConfigException(file + ": no such file (named by --config)");
        } catch (IOException e) {
            throw new BadConfigException(file + ": cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BadConfigException(file + ": expected key = value lines");
        }
        List<String> options = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            OptionSpec option = NOT_IN_FILES.contains(key) ? null : spec.findOption("--" + key);
            if (option == null) {
                throw new BadConfigException(file + ": unknown key '" + key + "' (expected: a long option of '"
                        + spec.qualifiedName() + "' without its --, as '" + spec.qualifiedName() + " --help' "
                        + "lists them)");
            }
            if (isGiven(option, given)) {
                continue; // the command line wins
            }
            JsonNode value = entry.getValue();
            String name = option.longestName();
            if (option.typeInfo().isBoolean()) {
                if (!value.isBoolean()) {
                    throw new BadConfigException(file + ": '" + key + "' is " + value + " (expected: true or false)");
                }
                if (value.booleanValue()) {
                    options.add(name);
                }
                continue;
            }
            List<JsonNode> values = new ArrayList<>();
            if (value.isArray()) {
                if (!option.isMultiValue()) {
                    throw new BadConfigException(file + ": '" + key + "' takes one value, not a list");
                }
                value.forEach(values::add);
            } else {
                values.add(value);
            }
            for (JsonNode v : values) {
                if (!v.isValueNode()) {
                    throw new BadConfigException(file + ": '" + key + "' holds " + v + " (expected: a string or a "
                            + "number" + (option.isMultiValue() ? ", or a list of them" : "") + ")");
                }
                options.add(name + '=' + v.asText());
            }
        }
        return options;
    }

    /** Whether the command line sets {@code option}, or another of its exclusive group (--token vs --token-file). */
    private static boolean isGiven(OptionSpec option, List<String> given) {
        ArgGroupSpec group = option.group();
        List<OptionSpec> rivals = group != null && group.exclusive() ? group.options() : List.of(option);
        for (OptionSpec rival : rivals) {
            if (isGivenItself(rival, given)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isGivenItself(OptionSpec option, List<String> given) {
        for (String arg : given) {
            for (String name : option.names()) {
                if (arg.equals(name) || arg.startsWith(name + "=")) {
                    return true;
                }
            }
        }
        return false;
    }
}
