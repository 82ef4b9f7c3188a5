package harness;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Realm Core 14.12.0's error code numbers and names, i.e. what ErrorCodes::error_string() returns
 * (src/realm/error_codes.hpp: `Name = RLM_ERR_X`, numbers from src/realm/error_codes.h). The C API has
 * no code-to-name function, so the table is copied here. Names are exactly the strings Core also
 * accepts from the server's "error_code" field (ErrorCodes::from_string), e.g. "InvalidPassword".
 */
final class ErrorCodes {
    private ErrorCodes() {}

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static String name(int code) {
        return NAMES.get(code);
    }

    /** Error category bits of realm_error_category_e (error_codes.h), in bit order. */
    private static final int[] CATEGORY_BITS = {
        0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0040, 0x0080, 0x0100, 0x0200, 0x0400, 0x0800, 0x1000, 0x2000,
    };
    private static final String[] CATEGORY_NAMES = {
        "logic", "runtime", "invalid_argument", "file_access", "system_error", "app_error", "client_error",
        "json_error", "service_error", "http_error", "custom_error", "websocket_error", "sync_error",
    };

    static List<String> categories(int flags) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < CATEGORY_BITS.length; k++) {
            if ((flags & CATEGORY_BITS[k]) != 0) out.add(CATEGORY_NAMES[k]);
        }
        return out;
    }

    /**
     * The most specific category of an App error: Core flags every App error as runtime + app_error
     * plus one of client/json/service/http/custom (see ErrorCodes::error_categories).
     */
    static String primaryCategory(int flags) {
        String[] order = {"http_error", "json_error", "service_error", "client_error", "custom_error",
            "websocket_error", "sync_error", "app_error", "file_access", "system_error", "invalid_argument",
            "logic", "runtime"};
        List<String> cats = categories(flags);
        for (String c : order) if (cats.contains(c)) return c;
        return cats.isEmpty() ? null : cats.get(0);
    }

    static {
        Map<Integer, String> m = NAMES;
        m.put(0, "OK");
        m.put(1000, "RuntimeError");
        m.put(1001, "RangeError");
        m.put(1002, "BrokenInvariant");
        m.put(1003, "OutOfMemory");
        m.put(1004, "OutOfDiskSpace");
        m.put(1005, "AddressSpaceExhausted");
        m.put(1006, "MaximumFileSizeExceeded");
        m.put(1007, "IncompatibleSession");
        m.put(1008, "IncompatibleLockFile");
        m.put(1011, "UnsupportedFileFormatVersion");
        m.put(1012, "MultipleSyncAgents");
        m.put(1013, "ObjectAlreadyExists");
        m.put(1014, "NotCloneable");
        m.put(1015, "BadChangeset");
        m.put(1016, "SubscriptionFailed");
        m.put(1017, "FileOperationFailed");
        m.put(1018, "PermissionDenied");
        m.put(1019, "FileNotFound");
        m.put(1020, "FileAlreadyExists");
        m.put(1021, "InvalidDatabase");
        m.put(1022, "DecryptionFailed");
        m.put(1023, "IncompatibleHistories");
        m.put(1024, "FileFormatUpgradeRequired");
        m.put(1025, "SchemaVersionMismatch");
        m.put(1026, "NoSubscriptionForWrite");
        m.put(1010, "BadVersion");
        m.put(1027, "OperationAborted");
        m.put(1028, "AutoClientResetFailed");
        m.put(1029, "BadSyncPartitionValue");
        m.put(1030, "ConnectionClosed");
        m.put(1031, "InvalidSubscriptionQuery");
        m.put(1032, "SyncClientResetRequired");
        m.put(1033, "SyncCompensatingWrite");
        m.put(1034, "SyncConnectFailed");
        m.put(1035, "SyncConnectTimeout");
        m.put(1036, "SyncInvalidSchemaChange");
        m.put(1037, "SyncPermissionDenied");
        m.put(1038, "SyncProtocolInvariantFailed");
        m.put(1039, "SyncProtocolNegotiationFailed");
        m.put(1040, "SyncServerPermissionsChanged");
        m.put(1041, "SyncUserMismatch");
        m.put(1042, "TlsHandshakeFailed");
        m.put(1043, "WrongSyncType");
        m.put(1044, "SyncWriteNotAllowed");
        m.put(1045, "SyncLocalClockBeforeEpoch");
        m.put(1046, "SyncSchemaMigrationError");
        m.put(1999, "SystemError");
        m.put(2000, "LogicError");
        m.put(2001, "NotSupported");
        m.put(2002, "BrokenPromise");
        m.put(2003, "CrossTableLinkTarget");
        m.put(2004, "KeyAlreadyUsed");
        m.put(2005, "WrongTransactionState");
        m.put(2006, "WrongThread");
        m.put(2007, "IllegalOperation");
        m.put(2008, "SerializationError");
        m.put(2009, "StaleAccessor");
        m.put(2010, "InvalidatedObject");
        m.put(2011, "ReadOnlyDB");
        m.put(2012, "DeleteOnOpenRealm");
        m.put(2013, "MismatchedConfig");
        m.put(2014, "ClosedRealm");
        m.put(2015, "InvalidTableRef");
        m.put(2016, "SchemaValidationFailed");
        m.put(2017, "SchemaMismatch");
        m.put(2018, "InvalidSchemaVersion");
        m.put(2019, "InvalidSchemaChange");
        m.put(2020, "MigrationFailed");
        m.put(1009, "InvalidQuery");
        m.put(3023, "BadServerUrl");
        m.put(3000, "InvalidArgument");
        m.put(3001, "TypeMismatch");
        m.put(3002, "PropertyNotNullable");
        m.put(3003, "ReadOnlyProperty");
        m.put(3004, "MissingPropertyValue");
        m.put(3005, "MissingPrimaryKey");
        m.put(3006, "UnexpectedPrimaryKey");
        m.put(3007, "ModifyPrimaryKey");
        m.put(3008, "SyntaxError");
        m.put(3009, "InvalidProperty");
        m.put(3010, "InvalidName");
        m.put(3011, "InvalidDictionaryKey");
        m.put(3012, "InvalidDictionaryValue");
        m.put(3013, "InvalidSortDescriptor");
        m.put(3014, "InvalidEncryptionKey");
        m.put(3015, "InvalidQueryArg");
        m.put(3016, "KeyNotFound");
        m.put(3017, "OutOfBounds");
        m.put(3018, "LimitExceeded");
        m.put(3019, "ObjectTypeMismatch");
        m.put(3020, "NoSuchTable");
        m.put(3021, "TableNameInUse");
        m.put(3022, "IllegalCombination");
        m.put(2021, "TopLevelObject");
        m.put(4000, "CustomError");
        m.put(4100, "ClientUserNotFound");
        m.put(4101, "ClientUserNotLoggedIn");
        m.put(4105, "ClientUserAlreadyNamed");
        m.put(4103, "ClientRedirectError");
        m.put(4104, "ClientTooManyRedirects");
        m.put(4200, "BadToken");
        m.put(4201, "MalformedJson");
        m.put(4202, "MissingJsonKey");
        m.put(4203, "BadBsonParse");
        m.put(4300, "MissingAuthReq");
        m.put(4301, "InvalidSession");
        m.put(4302, "UserAppDomainMismatch");
        m.put(4303, "DomainNotAllowed");
        m.put(4304, "ReadSizeLimitExceeded");
        m.put(4305, "InvalidParameter");
        m.put(4306, "MissingParameter");
        m.put(4307, "TwilioError");
        m.put(4308, "GCMError");
        m.put(4309, "HTTPError");
        m.put(4310, "AWSError");
        m.put(4311, "MongoDBError");
        m.put(4312, "ArgumentsNotAllowed");
        m.put(4313, "FunctionExecutionError");
        m.put(4314, "NoMatchingRuleFound");
        m.put(4315, "InternalServerError");
        m.put(4316, "AuthProviderNotFound");
        m.put(4317, "AuthProviderAlreadyExists");
        m.put(4318, "ServiceNotFound");
        m.put(4319, "ServiceTypeNotFound");
        m.put(4320, "ServiceAlreadyExists");
        m.put(4321, "ServiceCommandNotFound");
        m.put(4322, "ValueNotFound");
        m.put(4323, "ValueAlreadyExists");
        m.put(4324, "ValueDuplicateName");
        m.put(4325, "FunctionNotFound");
        m.put(4326, "FunctionAlreadyExists");
        m.put(4327, "FunctionDuplicateName");
        m.put(4328, "FunctionSyntaxError");
        m.put(4329, "FunctionInvalid");
        m.put(4330, "IncomingWebhookNotFound");
        m.put(4331, "IncomingWebhookAlreadyExists");
        m.put(4332, "IncomingWebhookDuplicateName");
        m.put(4333, "RuleNotFound");
        m.put(4334, "APIKeyNotFound");
        m.put(4335, "RuleAlreadyExists");
        m.put(4336, "RuleDuplicateName");
        m.put(4337, "AuthProviderDuplicateName");
        m.put(4338, "RestrictedHost");
        m.put(4339, "APIKeyAlreadyExists");
        m.put(4340, "IncomingWebhookAuthFailed");
        m.put(4341, "ExecutionTimeLimitExceeded");
        m.put(4342, "NotCallable");
        m.put(4343, "UserAlreadyConfirmed");
        m.put(4344, "UserNotFound");
        m.put(4345, "UserDisabled");
        m.put(4346, "AuthError");
        m.put(4347, "BadRequest");
        m.put(4348, "AccountNameInUse");
        m.put(4349, "InvalidPassword");
        m.put(4350, "SchemaValidationFailedWrite");
        m.put(4351, "AppUnknownError");
        m.put(4352, "MaintenanceInProgress");
        m.put(4353, "UserpassTokenInvalid");
        m.put(4354, "InvalidServerResponse");
        m.put(4355, "AppServerError");
        m.put(1000000, "CallbackFailed");
        m.put(2000000, "UnknownError");
    }
}
