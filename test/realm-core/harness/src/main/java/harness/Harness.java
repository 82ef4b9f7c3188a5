package harness;

import io.realm.kotlin.internal.interop.AppCallback;
import io.realm.kotlin.internal.interop.ErrorCode;
import io.realm.kotlin.internal.interop.LogCallback;
import io.realm.kotlin.internal.interop.LongPointerWrapper;
import io.realm.kotlin.internal.interop.SyncThreadObserver;
import io.realm.kotlin.internal.interop.realm_auth_provider_e;
import io.realm.kotlin.internal.interop.realm_log_level_e;
import io.realm.kotlin.internal.interop.realm_object_id_t;
import io.realm.kotlin.internal.interop.realm_sync_client_metadata_mode_e;
import io.realm.kotlin.internal.interop.realm_user_identity_t;
import io.realm.kotlin.internal.interop.realm_user_state_e;
import io.realm.kotlin.internal.interop.realmc;
import io.realm.kotlin.internal.interop.sync.ApiKeyWrapper;
import io.realm.kotlin.internal.interop.sync.AppError;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Drives an App Services-compatible backend with Realm Core's own App client (realm.h's realm_app_*)
 * through realm-kotlin 2.3.0's JNI library (Realm Core 14.12.0).
 *
 * Usage: Harness BASE_URL APP_ID [--timeout-ms=20000] [--http-timeout-ms=15000] [--base-path=DIR]
 *                                [--metadata=plaintext|disabled] [--core-log=off|error|warn|info|debug|trace|all]
 *
 * Reads one JSON command per stdin line, answers exactly one JSON line on stdout per command:
 *   {"ok":true,"result":...}  or  {"ok":false,"error":{...}}  (see ../README.md for the protocol).
 * Exits 0 on stdin EOF. Diagnostics go to stderr only (HARNESS_TRACE=1 traces every HTTP exchange).
 */
public final class Harness {
    // -------------------------------------------------------------- result plumbing

    /** An answer of a failed command; {@link #error} is written as the "error" member. */
    static final class Failure extends Exception {
        final Map<String, Object> error;

        Failure(Map<String, Object> error) {
            super(String.valueOf(error.get("message")));
            this.error = error;
        }
    }

    static Failure harnessError(String codeName, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("source", "harness");
        e.put("category", "harness");
        e.put("codeName", codeName);
        e.put("message", message);
        return new Failure(e);
    }

    /** realm_app_error_t as Core delivered it to the completion callback. */
    static Failure coreAppError(AppError err) {
        int code = err.getCode().getNativeValue();
        int flags = err.getCategoryFlags();
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("source", "core");
        e.put("category", ErrorCodes.primaryCategory(flags));
        e.put("categories", ErrorCodes.categories(flags));
        e.put("categoryFlags", flags);
        e.put("code", code);
        e.put("codeName", ErrorCodes.name(code));
        e.put("httpStatusCode", err.getHttpStatusCode());
        e.put("message", err.getMessage());
        e.put("linkToServerLogs", err.getLinkToServerLog());
        return new Failure(e);
    }

    private static final Pattern CORE_EXCEPTION = Pattern.compile("^\\[(RLM_ERR_[A-Z0-9_]+)\\]: (.*)$", Pattern.DOTALL);

    /**
     * A Core error raised synchronously by a realm_* call (realm_get_last_error, turned into a Java
     * exception by the SWIG wrapper via CoreErrorConverter: "[RLM_ERR_X]: message").
     */
    static Failure coreException(Throwable t) {
        Map<String, Object> e = new LinkedHashMap<>();
        String msg = t.getMessage() == null ? "" : t.getMessage();
        Matcher m = CORE_EXCEPTION.matcher(msg);
        if (m.matches()) {
            e.put("source", "core-exception");
            Integer code = null;
            try {
                code = ErrorCode.valueOf(m.group(1)).getNativeValue();
            } catch (IllegalArgumentException ignored) {
                // unknown to the Kotlin enum
            }
            e.put("category", "exception");
            e.put("code", code);
            e.put("codeName", code == null ? m.group(1) : ErrorCodes.name(code));
            e.put("message", m.group(2));
        } else {
            e.put("source", "harness");
            e.put("category", "harness");
            e.put("codeName", "JavaException");
            e.put("message", msg);
        }
        e.put("exception", t.getClass().getName());
        return new Failure(e);
    }

    /** AppCallback whose outcome (success value or AppError) lands in a future. */
    static final class Callback<T> implements AppCallback<T> {
        final CompletableFuture<Object> future = new CompletableFuture<>();

        // Both run on a Core / HTTP thread inside a JNI upcall: they must never throw.
        @Override
        public void onSuccess(T value) {
            if (TRACE) System.err.println("[harness] onSuccess on thread " + Thread.currentThread().getName());
            future.complete(value == null ? NULL : value);
        }

        @Override
        public void onError(AppError error) {
            if (TRACE) System.err.println("[harness] onError on thread " + Thread.currentThread().getName());
            future.complete(error);
        }
    }

    private static final Object NULL = new Object();
    private static final boolean TRACE = System.getenv("HARNESS_TRACE") != null && !System.getenv("HARNESS_TRACE").isEmpty();

    // -------------------------------------------------------------- state

    private final String baseUrl;
    private final String appId;
    private final long timeoutMs;
    private final Path basePath;
    private final long app;
    private final HttpTransport transport;

    /** Logged-in users by id (the pointer from the latest login); the command target by default. */
    private final Map<String, Long> users = new LinkedHashMap<>();
    private Long current;

    private Harness(String baseUrl, String appId, long timeoutMs, Path basePath, long app, HttpTransport transport) {
        this.baseUrl = baseUrl;
        this.appId = appId;
        this.timeoutMs = timeoutMs;
        this.basePath = basePath;
        this.app = app;
        this.transport = transport;
    }

    // -------------------------------------------------------------- main

    public static void main(String[] args) throws IOException {
        long startNanos = System.nanoTime();
        // stdout is the protocol channel: keep anything else (stray prints of libraries) off it.
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), false);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));

        List<String> positional = new ArrayList<>();
        long timeoutMs = 20_000;
        long httpTimeoutMs = 15_000;
        String basePathArg = null;
        String metadata = "plaintext";
        String coreLog = System.getenv().getOrDefault("HARNESS_CORE_LOG", "off");
        for (String a : args) {
            if (a.startsWith("--timeout-ms=")) timeoutMs = Long.parseLong(a.substring(13));
            else if (a.startsWith("--http-timeout-ms=")) httpTimeoutMs = Long.parseLong(a.substring(18));
            else if (a.startsWith("--base-path=")) basePathArg = a.substring(12);
            else if (a.startsWith("--metadata=")) metadata = a.substring(11);
            else if (a.startsWith("--core-log=")) coreLog = a.substring(11);
            else positional.add(a);
        }
        if (positional.size() != 2) {
            System.err.println("usage: Harness BASE_URL APP_ID [--timeout-ms=N] [--http-timeout-ms=N] [--base-path=DIR] "
                + "[--metadata=plaintext|disabled] [--core-log=LEVEL]");
            System.exit(64);
        }
        boolean trace = TRACE;

        Harness h;
        Path tempDir = null;
        try {
            Path basePath;
            if (basePathArg != null) {
                basePath = Path.of(basePathArg);
                Files.createDirectories(basePath);
            } else {
                tempDir = Files.createTempDirectory("realm-core-harness-");
                basePath = tempDir;
            }
            h = create(positional.get(0), positional.get(1), timeoutMs, Duration.ofMillis(httpTimeoutMs), basePath, metadata, coreLog, trace);
        } catch (Throwable t) {
            // Answer the first command with the reason, then give up.
            Failure f = t instanceof Failure ff ? ff : harnessError("StartupFailed", t.toString());
            out.println(answer(null, false, f.error));
            out.flush();
            t.printStackTrace();
            deleteTree(tempDir);
            System.exit(2);
            return;
        }
        // Killed (SIGTERM/SIGINT/SIGHUP) rather than closed: still remove the temp dir, and skip the
        // native exit handlers like the EOF path does.
        final Path ownedDir = tempDir;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.flush();
            deleteTree(ownedDir);
            Runtime.getRuntime().halt(143);
        }, "harness-shutdown"));
        if (trace) System.err.printf("[harness] ready in %d ms (base path %s)%n", (System.nanoTime() - startNanos) / 1_000_000, h.basePath);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            String reply = h.handle(line);
            out.println(reply);
            out.flush();
        }
        h.shutdown();
        deleteTree(tempDir);
        out.flush();
        // Core's static destructors and the JVM's shutdown don't mix well with pending JNI upcalls:
        // leave without running them.
        Runtime.getRuntime().halt(0);
    }

    private static Harness create(String baseUrl, String appId, long timeoutMs, Duration httpTimeout, Path basePath,
                                  String metadata, String coreLog, boolean trace) {
        // Touching realmc loads librealmc through io.realm.kotlin.jvm.SoLoader: System.loadLibrary("realmc")
        // (found via -Djava.library.path=target/native), else it copies the .so from the jar to
        // ~/.cache/io.realm.kotlin/2.3.0/ and loads it from there.
        int level = logLevel(coreLog);
        if (level != realm_log_level_e.RLM_LOG_LEVEL_OFF) {
            realmc.set_log_callback((LogCallback) (lvl, category, message) ->
                System.err.println("[core " + levelName(lvl) + " " + category + "] " + message));
            realmc.realm_set_log_level(level);
        } else {
            realmc.realm_set_log_level(realm_log_level_e.RLM_LOG_LEVEL_OFF);
        }

        HttpTransport transport = new HttpTransport(httpTimeout, trace ? System.err : null);
        long transportPtr = realmc.realm_network_transport_new(transport);
        long config = realmc.realm_app_config_new(appId, transportPtr);
        realmc.realm_app_config_set_base_url(config, baseUrl);
        // Same connection parameters the Kotlin SDK sends (SyncConnectionParams), with our own bundle id.
        realmc.realm_app_config_set_sdk(config, "Kotlin");
        realmc.realm_app_config_set_sdk_version(config, "2.3.0");
        realmc.realm_app_config_set_platform_version(config, System.getProperty("os.version", "unknown"));
        realmc.realm_app_config_set_device_name(config, "unknown");
        realmc.realm_app_config_set_device_version(config, "unknown");
        realmc.realm_app_config_set_framework_name(config, "JVM");
        realmc.realm_app_config_set_framework_version(config, System.getProperty("java.version", "unknown"));
        realmc.realm_app_config_set_bundle_id(config, "realm-core-harness");
        // Metadata realm (users, tokens) and any synced file live under the base path.
        realmc.realm_app_config_set_base_file_path(config, basePath.toString());
        realmc.realm_app_config_set_metadata_mode(config, switch (metadata) {
            case "disabled" -> realm_sync_client_metadata_mode_e.RLM_SYNC_CLIENT_METADATA_MODE_DISABLED;
            case "plaintext" -> realm_sync_client_metadata_mode_e.RLM_SYNC_CLIENT_METADATA_MODE_PLAINTEXT;
            default -> throw new IllegalArgumentException("--metadata must be plaintext or disabled");
        });
        // Sync client settings as AppConfigurationImpl.initializeSyncClientConfig does (no sync session
        // is ever opened here, but the App owns the sync manager/client config).
        long syncClientConfig = realmc.realm_app_config_get_sync_client_config(config);
        realmc.realm_sync_client_config_set_default_binding_thread_observer(syncClientConfig, new SyncThreadObserver() {
            @Override public String threadName() { return "SyncThread-" + appId; }
            @Override public void onCreated() { Thread.currentThread().setName(threadName()); }
            @Override public void onDestroyed() {}
            @Override public void onError(String error) { System.err.println("[harness] sync thread error: " + error); }
        });
        realmc.realm_sync_client_config_set_user_agent_binding_info(syncClientConfig, "RealmKotlin/2.3.0");
        realmc.realm_sync_client_config_set_user_agent_application_info(syncClientConfig, "realm-core-harness/0.1.0");

        long app = realmc.realm_app_create(config);
        realmc.realm_release(config);
        return new Harness(baseUrl, appId, timeoutMs, basePath, app, transport);
    }

    private static String levelName(short level) {
        String[] names = {"all", "trace", "debug", "detail", "info", "warn", "error", "fatal", "off"};
        return level >= 0 && level < names.length ? names[level] : String.valueOf(level);
    }

    private static int logLevel(String s) {
        return switch (s.toLowerCase()) {
            case "off", "", "none" -> realm_log_level_e.RLM_LOG_LEVEL_OFF;
            case "fatal" -> realm_log_level_e.RLM_LOG_LEVEL_FATAL;
            case "error" -> realm_log_level_e.RLM_LOG_LEVEL_ERROR;
            case "warn", "warning" -> realm_log_level_e.RLM_LOG_LEVEL_WARNING;
            case "info" -> realm_log_level_e.RLM_LOG_LEVEL_INFO;
            case "detail" -> realm_log_level_e.RLM_LOG_LEVEL_DETAIL;
            case "debug" -> realm_log_level_e.RLM_LOG_LEVEL_DEBUG;
            case "trace" -> realm_log_level_e.RLM_LOG_LEVEL_TRACE;
            case "all" -> realm_log_level_e.RLM_LOG_LEVEL_ALL;
            default -> throw new IllegalArgumentException("unknown --core-log level " + s);
        };
    }

    private void shutdown() {
        for (long u : users.values()) realmc.realm_release(u);
        users.clear();
        // The App itself is not released: tearing it down waits for Core's worker threads and
        // the process ends right after anyway.
    }

    private static void deleteTree(Path dir) {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    // -------------------------------------------------------------- command loop

    static String answer(Object id, boolean ok, Object payload) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (id != null) m.put("id", id);
        m.put("ok", ok);
        m.put(ok ? "result" : "error", payload);
        return Json.write(m);
    }

    String handle(String line) {
        Object id = null;
        long started = System.nanoTime();
        try {
            Object parsed;
            try {
                parsed = Json.parse(line);
            } catch (RuntimeException e) {
                throw harnessError("BadCommand", "not JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Json.Obj cmd)) throw harnessError("BadCommand", "a command is a JSON object");
            id = cmd.get("id");
            String op = cmd.str("op");
            if (op == null) throw harnessError("BadCommand", "missing \"op\"");
            Object result = dispatch(op, cmd);
            return answer(id, true, result);
        } catch (Failure f) {
            return answer(id, false, f.error);
        } catch (IllegalArgumentException e) {
            // argument errors of the command itself (SWIG raises Core's invalid-argument errors as
            // IllegalArgumentException too, with the "[RLM_ERR_...]" prefix: those are Core's)
            Failure f = CORE_EXCEPTION.matcher(String.valueOf(e.getMessage())).matches()
                ? coreException(e) : harnessError("BadCommand", e.getMessage());
            return answer(id, false, f.error);
        } catch (Throwable t) {
            return answer(id, false, coreException(t).error);
        } finally {
            if (TRACE) {
                System.err.printf("[harness] %s took %d ms%n", line, (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    private Object dispatch(String op, Json.Obj c) throws Failure {
        switch (op) {
            case "ping": {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("coreVersion", realmc.realm_get_library_version());
                r.put("appId", realmc.realm_app_get_app_id(app));
                r.put("baseUrl", realmc.realm_app_get_base_url(app));
                r.put("basePath", basePath.toString());
                return r;
            }
            // ---- email/password provider
            case "register":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_register_email(app, c.requireStr("email"), c.requireStr("password"), cb));
            case "confirmUser":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_confirm_user(app, c.requireStr("token"), c.requireStr("tokenId"), cb));
            case "resendConfirmation":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_resend_confirmation_email(app, c.requireStr("email"), cb));
            case "retryCustomConfirmation":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_retry_custom_confirmation(app, c.requireStr("email"), cb));
            case "sendResetPasswordEmail":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_send_reset_password_email(app, c.requireStr("email"), cb));
            case "resetPassword":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_reset_password(app, c.requireStr("password"), c.requireStr("token"), c.requireStr("tokenId"), cb));
            case "callResetPasswordFunction":
                return awaitVoid(cb -> realmc.realm_app_email_password_provider_client_call_reset_password_function(app, c.requireStr("email"), c.requireStr("password"), ejsonOr(c, "args", "[]"), cb));

            // ---- sessions
            case "login": {
                long creds = credentials(c);
                try {
                    Object v = await(cb -> realmc.realm_app_log_in_with_credentials(app, creds, cb));
                    return adoptUser(v);
                } finally {
                    realmc.realm_release(creds);
                }
            }
            case "linkUser": {
                long user = user(c);
                long creds = credentials(c);
                try {
                    Object v = await(cb -> realmc.realm_app_link_user(app, user, creds, cb));
                    return adoptUser(v);
                } finally {
                    realmc.realm_release(creds);
                }
            }
            case "logout": {
                long user = user(c);
                return awaitVoid(cb -> realmc.realm_app_log_out(app, user, cb));
            }
            case "remove": {
                long user = user(c);
                return awaitVoid(cb -> realmc.realm_app_remove_user(app, user, cb));
            }
            case "delete": {
                long user = user(c);
                return awaitVoid(cb -> realmc.realm_app_delete_user(app, user, cb));
            }
            case "switchUser": {
                long user = user(c);
                realmc.realm_app_switch_user(app, user);
                current = user;
                return null;
            }
            case "currentUser": {
                long u = realmc.realm_app_get_current_user(app);
                if (u == 0) return null;
                try {
                    return realmc.realm_user_get_identity(u);
                } finally {
                    realmc.realm_release(u);
                }
            }
            case "allUsers": {
                long[] count = new long[1];
                realmc.realm_app_get_all_users(app, new long[0], 0, count);
                long[] ptrs = new long[(int) count[0]];
                long[] n = new long[1];
                realmc.realm_app_get_all_users(app, ptrs, ptrs.length, n);
                List<Object> out = new ArrayList<>();
                for (int k = 0; k < n[0]; k++) {
                    Map<String, Object> u = new LinkedHashMap<>();
                    u.put("id", realmc.realm_user_get_identity(ptrs[k]));
                    u.put("state", state(realmc.realm_user_get_state(ptrs[k])));
                    out.add(u);
                    realmc.realm_release(ptrs[k]);
                }
                return out;
            }

            // ---- user accessors (local, no network)
            case "userId":
                return realmc.realm_user_get_identity(user(c));
            case "state":
                return state(realmc.realm_user_get_state(user(c)));
            case "isLoggedIn":
                return realmc.realm_user_is_logged_in(user(c));
            case "deviceId":
                return realmc.realm_user_get_device_id(user(c));
            case "accessToken":
                return realmc.realm_user_get_access_token(user(c));
            case "refreshToken":
                return realmc.realm_user_get_refresh_token(user(c));
            case "profile":
                return rawJson(realmc.realm_user_get_profile_data(user(c)));
            case "customData":
                return rawJson(realmc.realm_user_get_custom_data(user(c)));
            case "identities":
                return identities(user(c));

            // ---- network calls on behalf of a user
            case "refreshCustomData": {
                long user = user(c);
                return awaitVoid(cb -> realmc.realm_app_refresh_custom_data(app, user, cb));
            }
            case "callFunction": {
                long user = user(c);
                String name = c.requireStr("name");
                String args = ejsonOr(c, "args", "[]");
                String service = c.str("service");
                return rawJson((String) await(cb -> realmc.realm_app_call_function(app, user, name, args, service, cb)));
            }

            // ---- user API keys
            case "createApiKey": {
                long user = user(c);
                return apiKey(await(cb -> realmc.realm_app_user_apikey_provider_client_create_apikey(app, user, c.requireStr("name"), cb)));
            }
            case "fetchApiKey": {
                long user = user(c);
                realm_object_id_t oid = objectId(c.requireStr("keyId"));
                return apiKey(await(cb -> realmc.realm_app_user_apikey_provider_client_fetch_apikey(app, user, oid, cb)));
            }
            case "fetchApiKeys": {
                long user = user(c);
                Object v = await(cb -> realmc.realm_app_user_apikey_provider_client_fetch_apikeys(app, user, cb));
                List<Object> out = new ArrayList<>();
                for (Object k : (Object[]) v) out.add(apiKey(k));
                return out;
            }
            case "deleteApiKey": {
                long user = user(c);
                realm_object_id_t oid = objectId(c.requireStr("keyId"));
                return awaitVoid(cb -> realmc.realm_app_user_apikey_provider_client_delete_apikey(app, user, oid, cb));
            }
            case "enableApiKey": {
                long user = user(c);
                realm_object_id_t oid = objectId(c.requireStr("keyId"));
                return awaitVoid(cb -> realmc.realm_app_user_apikey_provider_client_enable_apikey(app, user, oid, cb));
            }
            case "disableApiKey": {
                long user = user(c);
                realm_object_id_t oid = objectId(c.requireStr("keyId"));
                return awaitVoid(cb -> realmc.realm_app_user_apikey_provider_client_disable_apikey(app, user, oid, cb));
            }

            // ---- MongoDB service (remote MongoClient): the same function calls Core's MongoCollection
            // and the Kotlin SDK's MongoCollectionImpl make ({"database","collection",...} argument document).
            case "find":
                return mongo(c, "find", new String[][] {{"filter", "query"}, {"projection", "project"}, {"sort", "sort"}, {"limit", "limit"}});
            case "findOne":
                return mongo(c, "findOne", new String[][] {{"filter", "query"}, {"projection", "project"}, {"sort", "sort"}});
            case "count":
                return mongo(c, "count", new String[][] {{"filter", "query"}, {"limit", "limit"}});
            case "aggregate":
                return mongo(c, "aggregate", new String[][] {{"pipeline", "pipeline"}});
            case "insertOne":
                return mongo(c, "insertOne", new String[][] {{"document", "document"}});
            case "insertMany":
                return mongo(c, "insertMany", new String[][] {{"documents", "documents"}});
            case "updateOne":
                return mongo(c, "updateOne", new String[][] {{"filter", "query"}, {"update", "update"}, {"upsert", "upsert"}});
            case "updateMany":
                return mongo(c, "updateMany", new String[][] {{"filter", "query"}, {"update", "update"}, {"upsert", "upsert"}});
            case "deleteOne":
                return mongo(c, "deleteOne", new String[][] {{"filter", "query"}});
            case "deleteMany":
                return mongo(c, "deleteMany", new String[][] {{"filter", "query"}});
            case "findOneAndUpdate":
                return mongo(c, "findOneAndUpdate", new String[][] {{"filter", "filter"}, {"update", "update"}, {"projection", "projection"}, {"sort", "sort"}, {"upsert", "upsert"}, {"returnNewDocument", "returnNewDocument"}});
            case "findOneAndReplace":
                return mongo(c, "findOneAndReplace", new String[][] {{"filter", "filter"}, {"replacement", "update"}, {"projection", "projection"}, {"sort", "sort"}, {"upsert", "upsert"}, {"returnNewDocument", "returnNewDocument"}});
            case "findOneAndDelete":
                return mongo(c, "findOneAndDelete", new String[][] {{"filter", "filter"}, {"projection", "projection"}, {"sort", "sort"}});

            case "sleep": {
                Object ms = c.get("ms");
                try {
                    Thread.sleep(ms instanceof Number n ? n.longValue() : 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }
            default:
                throw harnessError("UnknownOp", "unknown op \"" + op + "\"");
        }
    }

    // -------------------------------------------------------------- helpers

    /** Starts an App operation with a fresh callback and waits for its outcome (bounded). */
    private Object await(Consumer<Callback<Object>> start) throws Failure {
        Callback<Object> cb = new Callback<>();
        start.accept(cb); // a synchronous Core error surfaces here as an exception (see coreException)
        Object v;
        try {
            v = cb.future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw harnessError("Timeout", "no answer from Core within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw harnessError("Interrupted", "interrupted");
        } catch (ExecutionException e) {
            throw harnessError("JavaException", String.valueOf(e.getCause()));
        }
        if (v instanceof AppError err) throw coreAppError(err);
        return v == NULL ? null : v;
    }

    private Object awaitVoid(Consumer<Callback<Object>> start) throws Failure {
        await(start); // success value is kotlin.Unit
        return null;
    }

    private Object adoptUser(Object v) {
        long ptr = ((LongPointerWrapper<?>) v).getPtr$cinterop(); // a realm_clone()d realm_user_t*
        String id = realmc.realm_user_get_identity(ptr);
        Long old = users.put(id, ptr);
        if (old != null && old != ptr) realmc.realm_release(old);
        current = ptr;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("userId", id);
        r.put("state", state(realmc.realm_user_get_state(ptr)));
        return r;
    }

    private long user(Json.Obj c) throws Failure {
        String id = c.str("user");
        if (id != null) {
            Long p = users.get(id);
            if (p == null) throw harnessError("NoUser", "no user \"" + id + "\" was logged in through this harness");
            return p;
        }
        if (current == null) throw harnessError("NoUser", "no user: log in first");
        return current;
    }

    private static long credentials(Json.Obj c) throws Failure {
        String provider = c.str("provider");
        if (provider == null) provider = "email";
        switch (provider) {
            case "email":
            case "local-userpass":
                return realmc.realm_app_credentials_new_email_password(c.requireStr("email"), c.requireStr("password"));
            case "anon":
            case "anonymous": {
                Boolean reuse = c.bool("reuse");
                return realmc.realm_app_credentials_new_anonymous(reuse == null || reuse);
            }
            case "api-key":
            case "apiKey":
                return realmc.realm_app_credentials_new_api_key(c.requireStr("key"));
            case "jwt":
            case "custom-token":
                return realmc.realm_app_credentials_new_jwt(c.requireStr("token"));
            case "function":
            case "custom-function":
                return realmc.realm_app_credentials_new_function(ejsonOr(c, "payload", "{}"));
            default:
                throw harnessError("BadCommand", "unknown provider \"" + provider + "\"");
        }
    }

    private static String ejsonOr(Json.Obj c, String key, String dflt) {
        String v = c.ejson(key);
        return v == null ? dflt : v;
    }

    /** Core's (E)JSON text, embedded verbatim when it is one JSON value; else passed as a string. */
    private static Object rawJson(String text) {
        if (text == null) return null;
        if (Json.isValid(text)) return new Json.RawJson(text.replace('\n', ' ').replace('\r', ' '));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("notJson", text);
        return r;
    }

    private Object mongo(Json.Obj c, String function, String[][] fields) throws Failure {
        long user = user(c);
        String service = c.str("service");
        if (service == null) service = "mongodb-atlas";
        StringBuilder doc = new StringBuilder("{");
        doc.append("\"database\":").append(Json.quote(c.requireStr("database")));
        doc.append(",\"collection\":").append(Json.quote(c.requireStr("collection")));
        for (String[] f : fields) {
            String v = c.ejson(f[0]);
            if (v == null) continue;
            doc.append(',').append(Json.quote(f[1])).append(':').append(v);
        }
        doc.append('}');
        String args = "[" + doc + "]";
        String svc = service;
        return rawJson((String) await(cb -> realmc.realm_app_call_function(app, user, function, args, svc, cb)));
    }

    private static String state(int s) {
        if (s == realm_user_state_e.RLM_USER_STATE_LOGGED_IN) return "LoggedIn";
        if (s == realm_user_state_e.RLM_USER_STATE_LOGGED_OUT) return "LoggedOut";
        if (s == realm_user_state_e.RLM_USER_STATE_REMOVED) return "Removed";
        return "Unknown(" + s + ")";
    }

    private static String providerName(int p) {
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_ANONYMOUS) return "anon-user";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_ANONYMOUS_NO_REUSE) return "anon-user";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_FACEBOOK) return "oauth2-facebook";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_GOOGLE) return "oauth2-google";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_APPLE) return "oauth2-apple";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_CUSTOM) return "custom-token";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_EMAIL_PASSWORD) return "local-userpass";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_FUNCTION) return "custom-function";
        if (p == realm_auth_provider_e.RLM_AUTH_PROVIDER_API_KEY) return "api-key";
        return "unknown(" + p + ")";
    }

    private static List<Object> identities(long user) {
        int capacity = 16;
        realm_user_identity_t arr = realmc.new_identityArray(capacity);
        try {
            long[] n = new long[1];
            realmc.realm_user_get_all_identities(user, arr, capacity, n);
            List<Object> out = new ArrayList<>();
            for (int k = 0; k < n[0]; k++) {
                realm_user_identity_t id = realmc.identityArray_getitem(arr, k);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", id.getId());
                m.put("providerType", providerName(id.getProvider_type()));
                out.add(m);
            }
            return out;
        } finally {
            realmc.delete_identityArray(arr);
        }
    }

    private static Object apiKey(Object v) {
        ApiKeyWrapper k = (ApiKeyWrapper) v;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.getId().toHexString());
        m.put("key", k.getValue());
        m.put("name", k.getName());
        m.put("disabled", k.getDisabled());
        return m;
    }

    private static realm_object_id_t objectId(String hex) {
        if (!hex.matches("[0-9a-fA-F]{24}")) throw new IllegalArgumentException("\"keyId\" must be 24 hex digits");
        short[] bytes = new short[12];
        for (int k = 0; k < 12; k++) bytes[k] = (short) Integer.parseInt(hex.substring(2 * k, 2 * k + 2), 16);
        realm_object_id_t oid = new realm_object_id_t();
        oid.setBytes(bytes);
        return oid;
    }
}
