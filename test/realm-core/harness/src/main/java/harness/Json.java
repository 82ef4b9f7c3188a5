package harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal JSON reader/writer for the harness' own command protocol (stdin lines, stdout lines).
 * It never touches HTTP bodies: those go between Core and the server untouched.
 *
 * Objects parse to {@link Obj}, which also remembers the exact source text of each member so that
 * EJSON given inline (e.g. "args":[{"$numberInt":"1"}]) is handed to Core verbatim.
 */
final class Json {
    private Json() {}

    static final class Obj extends LinkedHashMap<String, Object> {
        final Map<String, String> raw = new LinkedHashMap<>();

        String str(String key) {
            Object v = get(key);
            if (v == null) return null;
            if (v instanceof String s) return s;
            throw new IllegalArgumentException("\"" + key + "\" must be a string");
        }

        String requireStr(String key) {
            String s = str(key);
            if (s == null) throw new IllegalArgumentException("missing \"" + key + "\"");
            return s;
        }

        Boolean bool(String key) {
            Object v = get(key);
            if (v == null) return null;
            if (v instanceof Boolean b) return b;
            throw new IllegalArgumentException("\"" + key + "\" must be a boolean");
        }

        /** Source text of a member: a JSON string's content, or any other value's JSON text. */
        String ejson(String key) {
            Object v = get(key);
            if (v == null && !containsKey(key)) return null;
            if (v instanceof String s) return s;
            return raw.get(key);
        }
    }

    static final class ParseException extends RuntimeException {
        ParseException(String m) { super(m); }
    }

    static Object parse(String text) {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw new ParseException("trailing characters at " + p.i);
        return v;
    }

    /** True when the text is one complete JSON value. */
    static boolean isValid(String text) {
        if (text == null) return false;
        try {
            parse(text);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) { this.s = s; }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
                else break;
            }
        }

        char peek() {
            if (i >= s.length()) throw new ParseException("unexpected end of input");
            return s.charAt(i);
        }

        void expect(char c) {
            if (peek() != c) throw new ParseException("expected '" + c + "' at " + i);
            i++;
        }

        Object value() {
            char c = peek();
            switch (c) {
                case '{': return object();
                case '[': return array();
                case '"': return string();
                case 't': literal("true"); return Boolean.TRUE;
                case 'f': literal("false"); return Boolean.FALSE;
                case 'n': literal("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw new ParseException("unexpected '" + c + "' at " + i);
            }
        }

        void literal(String w) {
            if (!s.startsWith(w, i)) throw new ParseException("bad literal at " + i);
            i += w.length();
        }

        Object number() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) i++;
            String t = s.substring(start, i);
            try {
                if (t.contains(".") || t.contains("e") || t.contains("E")) return Double.parseDouble(t);
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new ParseException("bad number '" + t + "'");
            }
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw new ParseException("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"': b.append('"'); break;
                        case '\\': b.append('\\'); break;
                        case '/': b.append('/'); break;
                        case 'b': b.append('\b'); break;
                        case 'f': b.append('\f'); break;
                        case 'n': b.append('\n'); break;
                        case 'r': b.append('\r'); break;
                        case 't': b.append('\t'); break;
                        case 'u':
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                            break;
                        default: throw new ParseException("bad escape at " + i);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        List<Object> array() {
            expect('[');
            List<Object> out = new ArrayList<>();
            ws();
            if (peek() == ']') { i++; return out; }
            while (true) {
                ws();
                out.add(value());
                ws();
                char c = peek();
                i++;
                if (c == ']') return out;
                if (c != ',') throw new ParseException("expected ',' or ']' at " + (i - 1));
            }
        }

        Obj object() {
            expect('{');
            Obj out = new Obj();
            ws();
            if (peek() == '}') { i++; return out; }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                ws();
                int start = i;
                Object v = value();
                out.put(k, v);
                out.raw.put(k, s.substring(start, i));
                ws();
                char c = peek();
                i++;
                if (c == '}') return out;
                if (c != ',') throw new ParseException("expected ',' or '}' at " + (i - 1));
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /** A value that is already JSON text and is written verbatim. */
    record RawJson(String text) {}

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof RawJson r) {
            b.append(r.text());
        } else if (v instanceof String s) {
            quote(b, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isFinite(d)) b.append(v); else quote(b, String.valueOf(d));
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof Iterable<?> it) {
            b.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) b.append(',');
                first = false;
                write(b, o);
            }
            b.append(']');
        } else {
            quote(b, v.toString());
        }
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    // U+2028/2029 too, so a line is always one line for any reader
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder();
        quote(b, s);
        return b.toString();
    }
}
