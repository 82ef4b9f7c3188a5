/**
 * Field of the custom data document where the server keeps outbox bookkeeping (the highest
 * applied sequence number per device). Stripped from `user_data` and from data API results.
 */
export const SYNC_BOOKKEEPING_FIELD = '_customdataDeskSync';
