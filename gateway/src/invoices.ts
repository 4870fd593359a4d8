import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { SERVICE_CREDENTIAL_HEADER, type CredentialSigner } from '@supergraph/auth';
import {
  callService,
  ErrorCode,
  HttpError,
  REQUEST_ID_HEADER,
  requestIdFrom,
  runInRequestScope,
  sendHttpError,
  type Logger,
} from '@supergraph/runtime';
import { tooManyRequests, type Admission } from './admission.js';

/**
 * GET /invoices/<orderId>.pdf and /credit-notes/<orderId>.pdf: an order's stored PDF, for the
 * order's owner or an admin. The gateway checks the bearer token (401 without a valid one) and
 * spends the caller's request budget; the orders subgraph, asked with the gateway's credential and
 * the user's token, decides who may read it and answers NOT_FOUND to anyone else — a 404 here, the
 * same as for an order that does not exist, so nobody learns which orders exist.
 */
const ROUTE = /^\/(invoices|credit-notes)\/([0-9a-fA-F]{24})\.pdf$/;

/** The orders subgraph's internal query for a stored PDF (the gateway does not depend on the subgraphs' contracts package). */
const INVOICE_FILE_QUERY = `query InvoiceFile($orderId: ID!, $kind: InvoiceKind!) {
  invoiceFile(orderId: $orderId, kind: $kind) { number pdfBase64 }
}`;

export interface InvoiceRouteOptions {
  admission: Admission;
  signer: CredentialSigner;
  /** The orders subgraph's GraphQL URL, looked up per request (it is known once the supergraph is loaded). */
  ordersUrl: () => string;
  clientIp: (req: IncomingMessage) => string | undefined;
  timeoutMs: number;
  logger: Logger;
}

export function createInvoiceRoute(options: InvoiceRouteOptions) {
  const match = (req: IncomingMessage) => ROUTE.exec(new URL(req.url ?? '/', 'http://localhost').pathname);

  async function fetchPdf(req: IncomingMessage, orderId: string, kind: 'INVOICE' | 'CREDIT_NOTE') {
    const client = await options.admission.identify(req.headers.authorization, options.clientIp(req));
    if (!client.token) {
      throw new HttpError(
        401,
        'Log in to fetch invoices: send "Authorization: Bearer <token>" from logIn or signUp',
        ErrorCode.Unauthenticated,
        {
          headers: { 'www-authenticate': 'Bearer' },
        },
      );
    }
    const refusal = await options.admission.spend(client);
    if (refusal) throw tooManyRequests(refusal);
    try {
      const data = await callService<{ invoiceFile: { number: string; pdfBase64: string } }>(
        options.ordersUrl(),
        INVOICE_FILE_QUERY,
        { orderId, kind },
        {
          headers: {
            [SERVICE_CREDENTIAL_HEADER]: await options.signer.credentialFor('orders'),
            authorization: req.headers.authorization ?? '',
          },
          timeoutMs: options.timeoutMs,
        },
      );
      return data.invoiceFile;
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.NotFound) {
        throw new HttpError(404, `No ${kind === 'INVOICE' ? 'invoice' : 'credit note'} of yours for order ${orderId}`, ErrorCode.NotFound);
      }
      options.logger.warn('invoice fetch from the orders subgraph failed', { orderId, kind, error });
      throw new HttpError(503, 'Invoices cannot be fetched right now; retry shortly', ErrorCode.ServiceUnavailable, {
        headers: { 'retry-after': '5' },
      });
    }
  }

  return {
    handles: (req: IncomingMessage) => match(req) !== null,
    async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const requestId = requestIdFrom(req.headers);
      res.setHeader(REQUEST_ID_HEADER, requestId);
      // Whoever asks, an invoice holds personal data: never kept by a shared cache, nor by the browser's.
      res.setHeader('cache-control', 'private, no-store');
      await runInRequestScope({ requestId }, async () => {
        const [, path, orderId] = match(req)!;
        try {
          if (req.method !== 'GET' && req.method !== 'HEAD') {
            throw new HttpError(405, 'Invoices are fetched with GET', ErrorCode.BadRequest, { headers: { allow: 'GET, HEAD' } });
          }
          const file = await fetchPdf(req, orderId.toLowerCase(), path === 'invoices' ? 'INVOICE' : 'CREDIT_NOTE');
          const pdf = Buffer.from(file.pdfBase64, 'base64');
          res.writeHead(200, {
            'content-type': 'application/pdf',
            'content-length': String(pdf.length),
            // The number names the file; its slashes cannot be in a file name.
            'content-disposition': `inline; filename="${file.number.replace(/[^A-Za-z0-9-]/g, '_')}.pdf"`,
          });
          res.end(req.method === 'HEAD' ? undefined : pdf);
        } catch (error) {
          if (error instanceof HttpError) return sendHttpError(res, error);
          options.logger.error('serving an invoice failed', { error });
          sendHttpError(res, new HttpError(500, 'Internal server error', ErrorCode.Internal));
        }
      });
    },
  };
}
