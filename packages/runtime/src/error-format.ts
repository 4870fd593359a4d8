import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES, ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Keeps client errors as they are and replaces anything unexpected with a
 * generic message, logging the original server-side (never sent to clients).
 */
export function createErrorFormatter(logger: Logger): ErrorFormatter {
  return (formatted, error) => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error('unexpected error', { error, path: formatted.path });
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}
