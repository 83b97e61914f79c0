package io.mounter.policy;

import static io.mounter.linux.Errno.EINVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountOptionsTest {

    @Test
    void parseKeepsOptionsInOrder() {
        assertEquals("ro,fd=3,rootmode=40000,a=b=c", MountOptions.parse("ro,fd=3,rootmode=40000,a=b=c").toString());
        assertEquals("", MountOptions.parse("").toString());
        assertEquals("", MountOptions.parse(null).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {",", "a,,b", ",a", "a,"})
    void anEmptyOptionIsRefused(String data) {
        assertEquals(EINVAL, assertThrows(Refusal.class, () -> MountOptions.parse(data)).errno());
    }

    @Test
    void valuesAreThoseOfExactlyThatKeyInOrder() {
        MountOptions options = MountOptions.parse("fd=3,fdx=9,ro,a=b=c,fd=4,fd");
        assertEquals(List.of("3", "4"), options.values("fd"));
        assertEquals(List.of("b=c"), options.values("a"));
        assertEquals(List.of(), options.values("ro"));
        assertEquals(List.of(), options.values("missing"));
    }

    @Test
    void withReplacesEveryValueOfTheKeyAndNothingElse() {
        MountOptions options = MountOptions.parse("fd=3,fdx=9,ro,fd=4");
        assertEquals("fd=17,fdx=9,ro,fd=17", options.with("fd", "17").toString());
        assertEquals("fd=3,fdx=9,ro,fd=4", options.toString(), "the original is unchanged");
    }

    @Test
    void withLeavesABareKeyAlone() {
        // found by PolicyFuzzTest: "fd=3,fd" became "fd=17,fd=17", two fd= the kernel accepts
        assertEquals("fd=17,fd", MountOptions.parse("fd=3,fd").with("fd", "17").toString());
    }

    @Test
    void maskedHidesCredentialValuesWhateverTheCaseOfTheKey() {
        String data = "user=bob,password=hunter2,PassWord=x1,SECRET=s3,credentials=/etc/c,token=t0,ro,uid=0";
        String masked = MountOptions.parse(data).masked();
        assertEquals("user=bob,password=<masked>,PassWord=<masked>,SECRET=<masked>,credentials=<masked>,"
                + "token=<masked>,ro,uid=0", masked);
    }

    @Test
    void maskedLeavesAKeyWithoutValueAndLookalikeKeysAlone() {
        assertEquals("password,passwords=1,mypassword=2",
                MountOptions.parse("password,passwords=1,mypassword=2").masked());
    }

    @Test
    void maskedFollowsTheSharedRule() {
        // CredentialMaskTest checks the rule itself against test-vectors/credential-masking.tsv
        assertEquals("x-password=<masked>,ro", MountOptions.parse("x-password=hunter2,ro").masked());
        assertEquals("password=<masked>,ro", MountOptions.parse("password=\"a,b\",ro").masked());
        assertEquals("password=<masked>,ro", MountOptions.mask("password=secret]leak,ro"));
    }

    @Test
    void maskOfUnparsableOptionsRevealsNothing() {
        String masked = MountOptions.mask("user=bob,,password=hunter2");
        assertFalse(masked.contains("hunter2"), masked);
        assertFalse(masked.contains("bob"), masked);
        assertEquals("", MountOptions.mask(null));
        assertEquals("ro,password=<masked>", MountOptions.mask("ro,password=hunter2"));
    }
}
