package harness;

import io.realm.kotlin.internal.interop.sync.NetworkTransport;
import io.realm.kotlin.internal.interop.sync.Response;
import io.realm.kotlin.internal.interop.sync.ResponseCallback;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Core's App HTTP transport, implemented the way realm-kotlin's KtorNetworkTransport does it:
 * Core hands us (method, url, headers, body) through the JNI glue (realm_network_transport_new), we
 * perform the request and give Core back (status, 0, headers, body) untouched through the
 * ResponseCallback (which calls realm_http_transport_complete_request). Nothing here reads JSON:
 * Core parses every response, error bodies included. Redirects are not followed (Core handles 301/308
 * itself); I/O failures become a custom status code like Ktor's transport does (1000 = I/O,
 * 1002 = unknown), which Core reports as CustomError.
 */
final class HttpTransport implements NetworkTransport {
    static final int ERROR_IO = 1000;
    static final int ERROR_UNKNOWN = 1002;

    /** Headers java.net.http refuses to set; the client derives them itself. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private final HttpClient client;
    private final Duration requestTimeout;
    private final PrintStream trace; // null unless HARNESS_TRACE is set
    private final ExecutorService executor;

    HttpTransport(Duration requestTimeout, PrintStream trace) {
        this.requestTimeout = requestTimeout;
        this.trace = trace;
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "harness-http");
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance against a plain-HTTP server
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(executor)
            .build();
    }

    @Override
    public String getAuthorizationHeaderName() {
        return "Authorization";
    }

    @Override
    public Map<String, String> getCustomHeaders() {
        return Map.of();
    }

    @Override
    public void sendRequest(String method, String url, Map<String, String> headers, String body, ResponseCallback callback) {
        // Called by Core (on whichever thread started the App operation, or on the thread that
        // delivered the previous response). Must not throw back into native code.
        final long started = System.nanoTime();
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(requestTimeout);
            for (Map.Entry<String, String> h : headers.entrySet()) {
                if (RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
                rb.header(h.getKey(), h.getValue());
            }
            String m = method.toUpperCase(Locale.ROOT);
            boolean hasBody = body != null && !body.isEmpty();
            rb.method(m, hasBody
                ? HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)
                : HttpRequest.BodyPublishers.noBody());
            if (trace != null) trace.println("[http] > (" + Thread.currentThread().getName() + ") " + m + " " + url + " " + headers.keySet() + (hasBody ? " body=" + body : ""));
            client.sendAsync(rb.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, err) -> {
                    Response r;
                    if (err != null) {
                        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                        int code = cause instanceof java.io.IOException ? ERROR_IO : ERROR_UNKNOWN;
                        r = new Response(0, code, Map.of(), cause.toString());
                    } else {
                        Map<String, String> hs = new HashMap<>();
                        for (Map.Entry<String, List<String>> e : resp.headers().map().entrySet()) {
                            if (e.getKey() == null || e.getKey().startsWith(":")) continue;
                            hs.put(e.getKey(), String.join(", ", e.getValue()));
                        }
                        r = new Response(resp.statusCode(), 0, hs, new String(resp.body(), StandardCharsets.UTF_8));
                    }
                    if (trace != null) {
                        trace.printf("[http] < (" + Thread.currentThread().getName() + ") %s %s -> %d/%d in %d ms %s body=%s%n", m, url, r.getHttpResponseCode(),
                            r.getCustomResponseCode(), (System.nanoTime() - started) / 1_000_000, r.getHeaders(), r.getBody());
                    }
                    deliver(callback, r);
                    return null;
                });
        } catch (Throwable t) {
            // e.g. an invalid URL or header: answer on another thread, never re-entrantly
            Response r = new Response(0, ERROR_UNKNOWN, Map.of(), t.toString());
            executor.execute(() -> deliver(callback, r));
        }
    }

    private void deliver(ResponseCallback callback, Response r) {
        try {
            callback.response(r);
        } catch (Throwable t) {
            System.err.println("[harness] completing an HTTP request in Core failed: " + t);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
