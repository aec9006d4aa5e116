import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from './api-error';

/**
 * What a request Node's HTTP parser refused before any app saw it is answered: the API's JSON error, not Node's bare
 * default (a status line and no body). Node's own mapping, in our codes.
 */
function refusalOf(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('headers_too_large', 'request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError('payload_too_large', 'chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('request_timeout', 'the request was not received in time');
    default:
      return new ApiError('bad_request', 'malformed HTTP request');
  }
}

/**
 * The servers' 'clientError' listener (installed by `createPublicServer`): answers the refusal on the raw socket
 * (no response object exists yet) and closes the connection. A reset connection is only destroyed; so is one that
 * cannot be written or already carries a response (Node's own rule: nothing written on it yet), where an answer
 * would be lost or corrupt the one under way.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) return void socket.destroy();
  const refusal = refusalOf(err.code);
  const body = JSON.stringify(refusal.toBody());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    // Once the answer is handed to the system: closed, not held half open for a client that never closes its side.
    () => socket.destroy(),
  );
}
