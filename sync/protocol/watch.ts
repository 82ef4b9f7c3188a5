/**
 * `collection.watch()` on the wire (docs/server.md, "Live changes"), shared by the backend
 * (which writes it) and any client that reads it without realm-web: the request encoding,
 * the SSE framing with App Services' `%`/LF/CR escaping, and the error codes of the stream.
 */
import { z } from 'zod';
import { ErrorCode } from './errors.js';

/**
 * The `error_code`s of watch, at connect (HTTP JSON error) or in an `event: error` block: a subset
 * of ErrorCode (each explained there). ServiceUnavailable is transient (reconnect with backoff),
 * InvalidSession means the access token expired while streaming (reconnect; the 401 renews).
 */
export const WatchErrorCode = {
  ChangeStreamsNotSupported: ErrorCode.ChangeStreamsNotSupported,
  ServiceUnavailable: ErrorCode.ServiceUnavailable,
  InvalidSession: ErrorCode.InvalidSession,
  SubscriberTooSlow: ErrorCode.SubscriberTooSlow,
  ChangeStreamHistoryLost: ErrorCode.ChangeStreamHistoryLost,
  ServerShuttingDown: ErrorCode.ServerShuttingDown,
} as const satisfies { [K in ErrorCode]?: K };
export type WatchErrorCode = (typeof WatchErrorCode)[keyof typeof WatchErrorCode];

/** A keep-alive: a comment line, which realm-web ignores (an empty `data:` would break it). */
export const SSE_KEEPALIVE = ':\n\n';

/** App Services escapes exactly these three characters inside `data:` (realm-web decodes only them). */
export function escapeSseData(text: string): string {
  return text.replace(/[%\n\r]/g, (c) => (c === '%' ? '%25' : c === '\n' ? '%0A' : '%0D'));
}

/** The inverse, as realm-web's WatchStream does it: any other `%xx` is left as is. */
export function unescapeSseData(data: string): string {
  return data.replace(/%(25|0A|0D)/g, (_m, hex: string) => (hex === '25' ? '%' : hex === '0A' ? '\n' : '\r'));
}

/** A change event block; `json` is the event as (canonical) EJSON text. */
export function sseMessage(json: string): string {
  return `data: ${escapeSseData(json)}\n\n`;
}

/** An error block; realm-web throws WatchError with `.code` = errorCode and `.message` = error. */
export function sseError(error: string, errorCode: string): string {
  return `event: error\ndata: ${escapeSseData(JSON.stringify({ error, error_code: errorCode }))}\n\n`;
}

/** One dispatched SSE block: a message (`event` empty or "message"), an error, or a keep-alive. */
export type SseBlock =
  | { kind: 'message'; data: string }
  | { kind: 'error'; error: string; errorCode: string }
  | { kind: 'keepalive' };

/**
 * Incremental SSE reader with realm-web 2.0.1's rules (LF or CRLF; `id:`/`retry:` ignored;
 * dispatch on a blank line; `%` unescaping). Unlike realm-web it also reports comment
 * blocks as keep-alives, so a client can count them as "the stream is confirmed live".
 */
export class SseReader {
  private buffer = '';
  private eventType = '';
  private data = '';
  private sawComment = false;
  private readonly decoder = new TextDecoder();

  /** Feeds bytes; returns the blocks completed by them, in order. */
  push(chunk: Uint8Array | string): SseBlock[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseBlock[] = [];
    for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const block = this.line(line);
      if (block) out.push(block);
    }
    return out;
  }

  private line(line: string): SseBlock | undefined {
    if (line === '') {
      // Each data line adds value + LF, so an empty buffer means no data line at all.
      const raw = this.data;
      const type = this.eventType;
      const comment = this.sawComment;
      this.data = '';
      this.eventType = '';
      this.sawComment = false;
      if (raw === '') return comment ? { kind: 'keepalive' } : undefined;
      const data = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
      const text = unescapeSseData(data);
      if (type === 'error') {
        try {
          const body = JSON.parse(text) as { error?: unknown; error_code?: unknown };
          if (typeof body.error === 'string' && typeof body.error_code === 'string')
            return { kind: 'error', error: body.error, errorCode: body.error_code };
        } catch {
          // fall through: realm-web reports the raw text with code "unknown"
        }
        return { kind: 'error', error: text, errorCode: 'unknown' };
      }
      if (type === '' || type === 'message') return { kind: 'message', data: text };
      return undefined;
    }
    if (line.startsWith(':')) {
      this.sawComment = true;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.data += `${value}\n`;
    return undefined;
  }
}

/** The argument of realm-web's `collection.watch()`: a collection, narrowed by `ids` or `filter`. */
export const collectionWatchArgSchema = z.object({
  database: z.string().min(1).max(64),
  collection: z.string().min(1).max(255),
  ids: z.array(z.unknown()).min(1).max(1000).optional(),
  filter: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The argument of the caller's own custom data stream (ours, not App Services'): the server
 * resolves the database, the collection and the owner from its configuration and the caller's
 * token, so a client needs no target and works against any backend configuration.
 */
export const ownCustomDataWatchArgSchema = z.object({ customUserData: z.literal(true) }).strict();

/** The body realm-web encodes into `baas_request` for `collection.watch()`. */
export interface CollectionWatchCallBody {
  name: 'watch';
  service: string;
  arguments: [z.input<typeof collectionWatchArgSchema>];
}

/**
 * The caller's own custom data stream: no service (custom data is the server's setting, not a
 * source the client names; the configured service name is accepted too). Its events are those
 * a `watch()` of the custom data collection gets under the owner rule.
 */
export const OWN_CUSTOM_DATA_WATCH = {
  name: 'watch',
  arguments: [{ customUserData: true }],
} as const satisfies { name: 'watch'; arguments: [z.input<typeof ownCustomDataWatchArgSchema>] };

export type WatchCallBody = CollectionWatchCallBody | typeof OWN_CUSTOM_DATA_WATCH;

/** Whether a call's (raw) arguments ask for the own custom data stream, however well formed. */
export function asksForOwnCustomData(args: readonly unknown[]): boolean {
  const [first] = args;
  return args.length === 1 && typeof first === 'object' && first !== null && 'customUserData' in first;
}

/**
 * The query string realm-web sends: `baas_request` = standard base64 of the JSON body
 * (arguments as canonical EJSON), percent-encoded. Path: `${API_PREFIX}/app/<appId>/functions/call`.
 */
export function watchQueryString(body: WatchCallBody | Record<string, unknown>): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(JSON.stringify(body))) binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  return `?baas_request=${encodeURIComponent(base64)}`;
}

/** Decodes `baas_request`; undefined when it is not base64 of a JSON value. */
export function decodeBaasRequest(value: string): unknown {
  // Standard base64 (+ / =, browser-safe atob); a `+` a careless encoder turned into a space is restored.
  try {
    const binary = atob(value.replace(/ /g, '+'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}
