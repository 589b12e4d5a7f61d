package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** JavaScript's string conversion, which {@code pack} needs to write the reference's header. */
class JsValuesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "4321 | 4321", "0 | 0", "-0 | 0", "0.5 | 0.5", "1e21 | 1e+21", "1e20 | 100000000000000000000",
        "12345678901234567890 | 12345678901234567000", "4.43E2 | 443", "0.000001 | 0.000001",
        "0.0000001 | 1e-7", "1.5e-10 | 1.5e-10", "-12.25 | -12.25", "123456789012345678901234 | 1.2345678901234569e+23", "0.30000000000000004 | 0.30000000000000004",
        "2e-7 | 2e-7", "5e-324 | 5e-324", "1.7976931348623157e308 | 1.7976931348623157e+308",
        "true | true", "'\"x\"' | x", "null | ''", "'[1,[2,null]]' | '1,2,'", "'{}' | [object Object]", "'[]' | ''"})
    void stringifiesLikeJavaScript(String json, String expected) throws Exception {
        assertEquals(expected, JsValues.joined(JSON.readTree(json)));
    }

    @ParameterizedTest(name = "{0} || '' -> {1}")
    @CsvSource(delimiter = '|', value = {"0 | ''", "false | ''", "'\"\"' | ''", "null | ''", "'\"0\"' | 0",
        "443 | 443", "'[]' | ''", "true | true"})
    void orEmptyTreatsFalsyValuesAsEmpty(String json, String expected) throws Exception {
        assertEquals(expected, JsValues.orEmpty(JSON.readTree(json)));
    }
}
