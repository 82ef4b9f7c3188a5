/** Defaults the server and the clients share (the server's configuration may change them). */

/** Where the server keeps custom data unless configured otherwise (App Services' usual names). */
export const CUSTOM_DATA_DEFAULTS = {
  serviceName: 'mongodb-atlas',
  database: 'custom-user-data-database',
  collection: 'custom-user-data',
  /** The field holding the owner's user id. */
  userIdField: 'userId',
} as const;
