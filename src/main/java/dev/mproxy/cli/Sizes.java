package dev.mproxy.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/** Sizes on the command line: bytes, or a number and {@code KiB}, {@code MiB} or {@code GiB}, e.g. 16MiB. */
final class Sizes implements ITypeConverter<Long> {

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})(KiB|MiB|GiB)?");

    @Override
    public Long convert(String value) {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value
                    + "' (expected: a number of bytes, or a number and KiB, MiB or GiB, e.g. 16MiB)");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2);
        int shift = unit == null ? 0 : unit.equals("KiB") ? 10 : unit.equals("MiB") ? 20 : 30;
        return amount << shift;
    }
}
