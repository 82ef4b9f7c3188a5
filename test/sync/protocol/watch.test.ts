import { describe, expect, it } from 'vitest';
import {
  decodeBaasRequest,
  escapeSseData,
  SSE_KEEPALIVE,
  SseReader,
  sseError,
  sseMessage,
  unescapeSseData,
  watchQueryString,
} from '../../../sync/protocol/watch.js';

describe('watch wire format (docs/server.md, "Live changes")', () => {
  it('escapes exactly %, LF and CR, and unescapes only those', () => {
    expect(escapeSseData('a%b\nc\rd')).toBe('a%25b%0Ac%0Dd');
    expect(unescapeSseData('a%25b%0Ac%0Dd%41%2')).toBe('a%b\nc\rd%41%2');
    for (const text of ['%0A', '%%\n\n\r\r', '100% done\r\n', '{"a":"%25"}']) {
      const escaped = escapeSseData(text);
      expect(escaped).not.toMatch(/[\n\r]/);
      expect(unescapeSseData(escaped)).toBe(text);
    }
  });

  it('reads messages, errors and keep-alives across arbitrary chunk boundaries, LF or CRLF', () => {
    const event = JSON.stringify({ operationType: 'insert', fullDocument: { s: 'x%\n\ry' } });
    const stream =
      SSE_KEEPALIVE +
      sseMessage(event) +
      'id: 7\r\nretry: 10\r\ndata: {"a":1}\r\n\r\n' +
      sseError('invalid session: access token expired', 'InvalidSession');
    for (const size of [1, 2, 3, 7, stream.length]) {
      const reader = new SseReader();
      const blocks = [];
      for (let i = 0; i < stream.length; i += size) blocks.push(...reader.push(stream.slice(i, i + size)));
      expect(blocks).toEqual([
        { kind: 'keepalive' },
        { kind: 'message', data: event },
        { kind: 'message', data: '{"a":1}' },
        { kind: 'error', error: 'invalid session: access token expired', errorCode: 'InvalidSession' },
      ]);
    }
  });

  it('decodes UTF-8 split inside a character, and reports an unparsable error body as realm-web does', () => {
    const reader = new SseReader();
    const bytes = new TextEncoder().encode(sseMessage('{"s":"é€"}'));
    const out = [...reader.push(bytes.slice(0, 12)), ...reader.push(bytes.slice(12))];
    expect(out).toEqual([{ kind: 'message', data: '{"s":"é€"}' }]);
    expect(new SseReader().push('event: error\ndata: oops\n\n')).toEqual([
      { kind: 'error', error: 'oops', errorCode: 'unknown' },
    ]);
  });

  it('encodes baas_request as standard base64 of the JSON body, as realm-web does', () => {
    const body = {
      name: 'watch',
      service: 'mongodb-atlas',
      arguments: [{ database: 'd', collection: 'ü?+/' }],
    };
    const qs = watchQueryString(body);
    expect(qs).toMatch(/^\?baas_request=[A-Za-z0-9%]+$/);
    const value = decodeURIComponent(qs.slice('?baas_request='.length));
    expect(value).toBe(Buffer.from(JSON.stringify(body)).toString('base64'));
    expect(decodeBaasRequest(value)).toEqual(body);
    expect(decodeBaasRequest(value.replace(/\+/g, ' '))).toEqual(body);
    expect(decodeBaasRequest('%%%')).toBeUndefined();
    expect(decodeBaasRequest(Buffer.from('not json').toString('base64'))).toBeUndefined();
  });
});
