import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants } from 'node:zlib';
import compression from 'compression';
import { ConfigError, optionalString, readWholeNumber, type Env } from '@supergraph/runtime';

export interface CompressionConfig {
  /** COMPRESSION=on|off (default on). */
  enabled: boolean;
  /** Answers smaller than this are sent as they are (COMPRESSION_MIN_BYTES, default 1024): not worth the CPU. */
  minBytes: number;
}

export function readCompressionConfig(env: Env): CompressionConfig {
  const setting = optionalString(env, 'COMPRESSION', 'on');
  if (setting !== 'on' && setting !== 'off') throw new ConfigError(`COMPRESSION must be "on" or "off" (got "${setting}")`);
  return { enabled: setting === 'on', minBytes: readWholeNumber(env, 'COMPRESSION_MIN_BYTES', 1_024, 0, 10_000_000) };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Compresses the gateway's answers above `minBytes` with brotli or gzip, whichever the client's
 * Accept-Encoding prefers (`Vary: Accept-Encoding` is set), using the `compression` middleware.
 * Event streams are left alone: a compressor buffers, and an event must reach the client at once.
 */
export function withCompression(handler: Handler, config: CompressionConfig): Handler {
  if (!config.enabled) return handler;
  const middleware = compression({
    threshold: config.minBytes,
    filter: (req, res) => !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream') && compression.filter(req, res),
    // Quality 4 (of 11): most of brotli's gain on JSON for a small share of its CPU, per response.
    brotli: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  return (req, res) => {
    // Typed for Express, the middleware only uses what Node's own request and response have.
    middleware(req as never, res as never, () => void handler(req, res));
  };
}
