package io.mounter.policy;

/**
 * The credential masking rule for logs, written out in words at the top of
 * {@code test-vectors/credential-masking.tsv}; the C shim ({@code credential_mask.c}) and
 * kubelet-mounter ({@code mask}) implement the same rule and are checked against the same
 * file. In short: the value of every {@code key=} whose key is, or ends after a
 * non-alphanumeric character in, a secret word becomes {@code <masked>} (to the next comma
 * outside double quotes); the password of a source's {@code user:password@} becomes
 * {@code <masked>}; free text gets both. Letters, digits and case are ASCII only, so every
 * implementation agrees byte for byte. Null becomes "".
 */
public final class CredentialMask {
    public static final String MASK = "<masked>";

    /** Longest first, though no two can match at one position: each must end at the '='. */
    private static final String[] SECRET_WORDS = {
        "sshfs_password", "credentials", "secretfile", "password", "passwd", "secret", "token", "pass",
        "auth", "key",
    };
    /** Leading characters skipped before a word of text is read as a source. */
    private static final String SOURCE_LEAD = "[({<'\"`";

    private CredentialMask() {
    }

    /** An option string ({@code key=value,key2,...}) with the credential values masked. */
    public static String options(String options) {
        return options == null ? "" : maskValues(options, false);
    }

    /** A mount source with the password of its userinfo masked; any other source unchanged. */
    public static String source(String source) {
        if (source == null) {
            return "";
        }
        int start = authorityStart(source);
        int slash = source.indexOf('/', start);
        int end = slash < 0 ? source.length() : slash;
        int at = source.lastIndexOf('@', end - 1);
        if (at < start) {
            return source;
        }
        int colon = source.indexOf(':', start);
        if (colon < 0 || colon > at) {
            return source;
        }
        return source.substring(0, colon + 1) + MASK + source.substring(at);
    }

    /** A log line or an argv joined by spaces: credential values, then userinfo passwords. */
    public static String text(String text) {
        if (text == null) {
            return "";
        }
        String values = maskValues(text, true);
        StringBuilder out = new StringBuilder(values.length());
        int i = 0;
        while (i < values.length()) {
            if (isSpace(values.charAt(i))) {
                out.append(values.charAt(i++));
                continue;
            }
            int end = i;
            while (end < values.length() && !isSpace(values.charAt(end))) {
                end++;
            }
            out.append(maskWord(values.substring(i, end)));
            i = end;
        }
        return out.toString();
    }

    private static String maskWord(String word) {
        String masked = sourceFrom(word, 0);
        int eq = word.indexOf('=');
        if (masked.equals(word) && eq >= 0) {
            masked = sourceFrom(word, eq + 1);
        }
        return masked;
    }

    /** The word with the source rule applied from {@code from} on, past leading brackets and quotes. */
    private static String sourceFrom(String word, int from) {
        int start = from;
        while (start < word.length() && SOURCE_LEAD.indexOf(word.charAt(start)) >= 0) {
            start++;
        }
        return word.substring(0, start) + source(word.substring(start));
    }

    /** After a leading {@code scheme://} or {@code //}, else 0. */
    private static int authorityStart(String source) {
        if (source.startsWith("//")) {
            return 2;
        }
        if (source.isEmpty() || !isLetter(source.charAt(0))) {
            return 0;
        }
        int i = 1;
        while (i < source.length() && (isLetter(source.charAt(i)) || isDigit(source.charAt(i))
                || "+.-".indexOf(source.charAt(i)) >= 0)) {
            i++;
        }
        return source.startsWith("://", i) ? i + 3 : 0;
    }

    private static String maskValues(String s, boolean text) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int keyLength = secretKeyLength(s, i);
            if (keyLength == 0) {
                out.append(s.charAt(i++));
                continue;
            }
            out.append(s, i, i + keyLength).append(MASK);
            i = valueEnd(s, i + keyLength, text);
        }
        return out.toString();
    }

    /** The length of the secret word and '=' at {@code i}, or 0 if none stands there. */
    private static int secretKeyLength(String s, int i) {
        if (i > 0 && isAlphanumeric(s.charAt(i - 1))) {
            return 0;
        }
        for (String word : SECRET_WORDS) {
            int end = i + word.length();
            if (end < s.length() && s.charAt(end) == '=' && equalsIgnoreAsciiCase(s, i, word)) {
                return word.length() + 1;
            }
        }
        return 0;
    }

    /** The end of a value starting at {@code i}: a comma (or, in text, whitespace) outside quotes. */
    private static int valueEnd(String s, int i, boolean text) {
        boolean quoted = false;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == ',' || (text && isSpace(c)))) {
                break;
            }
        }
        return i;
    }

    private static boolean equalsIgnoreAsciiCase(String s, int from, String lowerWord) {
        for (int k = 0; k < lowerWord.length(); k++) {
            char c = s.charAt(from + k);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c - 'A' + 'a');
            }
            if (c != lowerWord.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlphanumeric(char c) {
        return isLetter(c) || isDigit(c);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000b';
    }
}
