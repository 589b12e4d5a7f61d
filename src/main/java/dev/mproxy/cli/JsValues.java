package dev.mproxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Iterator;

/**
 * JavaScript's string conversion of parsed JSON values, so {@code pack} writes the header proxy-packer writes
 * for the same {@code input.json}: {@code [a, b].join(',')} turns {@code null} into {@code ""}, numbers print
 * as {@code Number.prototype.toString} does, objects as {@code [object Object]}.
 */
final class JsValues {

    private JsValues() {
    }

    /** The field as {@code Array.prototype.join} writes it: missing and {@code null} become {@code ""}. */
    static String joined(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode() ? "" : string(value);
    }

    /** {@code value || ''}: every falsy value ({@code false}, {@code 0}, {@code ""}, {@code null}) is empty. */
    static String orEmpty(JsonNode value) {
        return isFalsy(value) ? "" : string(value);
    }

    private static boolean isFalsy(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return true;
        }
        if (value.isBoolean()) {
            return !value.booleanValue();
        }
        if (value.isNumber()) {
            double d = value.doubleValue();
            return d == 0 || Double.isNaN(d);
        }
        return value.isTextual() && value.textValue().isEmpty();
    }

    /** {@code String(value)} for a parsed JSON value. */
    static String string(JsonNode value) {
        if (value.isTextual()) {
            return value.textValue();
        }
        if (value.isNumber()) {
            return number(value.doubleValue()); // JSON.parse reads every number as a double
        }
        if (value.isBoolean()) {
            return Boolean.toString(value.booleanValue());
        }
        if (value.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (Iterator<JsonNode> it = value.elements(); it.hasNext(); ) {
                sb.append(joined(it.next()));
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            return sb.toString();
        }
        if (value.isObject()) {
            return "[object Object]";
        }
        return "";
    }

    /** {@code Number.prototype.toString()} (ECMA-262 Number::toString with radix 10). */
    static String number(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (d == 0) {
            return "0";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d < 0) {
            return "-" + number(-d);
        }
        BigDecimal decimal = shortest(d);
        String s = decimal.unscaledValue().toString();
        int k = s.length();
        int n = k - decimal.scale();
        if (k <= n && n <= 21) {
            return s + "0".repeat(n - k);
        }
        if (0 < n && n <= 21) {
            return s.substring(0, n) + '.' + s.substring(n);
        }
        if (-6 < n && n <= 0) {
            return "0." + "0".repeat(-n) + s;
        }
        int e = n - 1;
        String exponent = "e" + (e < 0 ? '-' : '+') + Math.abs(e);
        return k == 1 ? s + exponent : s.charAt(0) + "." + s.substring(1) + exponent;
    }

    /**
     * The decimal with the fewest digits that reads back as {@code d}, the closest to {@code d} among those:
     * ECMA-262's choice of s, k and n. Java 17's Double.toString is not always shortest (JDK-4511638).
     */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int digits = 1; digits < 17; digits++) {
            BigDecimal rounded = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == d) {
                return rounded.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
