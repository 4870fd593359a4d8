import { CredentialSigner, SERVICE_CREDENTIAL_HEADER } from '@supergraph/auth';
import {
  ATTACH_INVOICE_MUTATION,
  FAIL_INVOICE_MUTATION,
  INVOICE_BUYER_QUERY,
  ORDERS_INTERNAL_AUDIENCE,
  PREPARE_INVOICE_MUTATION,
  USERS_INTERNAL_AUDIENCE,
  WORKER_SERVICE,
  type InvoiceBuyer,
  type InvoiceBuyerResult,
  type InvoiceKind,
  type PrepareInvoiceResult,
  type PreparedInvoice,
} from '@supergraph/contracts';
import { callService } from '@supergraph/runtime';
import type { InvoicingConfig } from './config.js';

/** The orders subgraph's internal invoice operations, as the job uses them. */
export interface InvoiceStore {
  /** `buyer` is kept on the order if it has none yet; the answer carries the one kept. */
  prepare(orderId: string, kind: InvoiceKind, buyer?: InvoiceBuyer): Promise<PreparedInvoice>;
  attach(orderId: string, kind: InvoiceKind, number: string, pdf: Buffer): Promise<void>;
  fail(orderId: string, kind: InvoiceKind): Promise<void>;
}

/** The users subgraph's answer to "who is this invoice's buyer". */
export interface BuyerDirectory {
  buyer(userId: string): Promise<InvoiceBuyer | null>;
}

/**
 * Calls orders and users with the worker's own credential (issuer 'worker', one audience each):
 * no user token and no gateway key can stand in for it. Retrying is the queue's job, so each call
 * is made once; every operation is idempotent, so a retried job is safe.
 */
export function createInvoicingClients(config: Pick<InvoicingConfig, 'ordersUrl' | 'usersUrl' | 'signingKey' | 'callTimeoutMs'>): {
  store: InvoiceStore;
  buyers: BuyerDirectory;
} {
  const signer = new CredentialSigner(WORKER_SERVICE, config.signingKey);
  const call = async <T>(url: string, audience: string, query: string, variables: Record<string, unknown>) =>
    callService<T>(url, query, variables, {
      headers: { [SERVICE_CREDENTIAL_HEADER]: await signer.credentialFor(audience) },
      timeoutMs: config.callTimeoutMs,
    });
  const orders = <T>(query: string, variables: Record<string, unknown>) =>
    call<T>(config.ordersUrl, ORDERS_INTERNAL_AUDIENCE, query, variables);
  return {
    store: {
      async prepare(orderId, kind, buyer) {
        return (await orders<PrepareInvoiceResult>(PREPARE_INVOICE_MUTATION, { orderId, kind, buyer: buyer ?? null })).prepareInvoice;
      },
      async attach(orderId, kind, number, pdf) {
        await orders(ATTACH_INVOICE_MUTATION, { orderId, kind, number, pdfBase64: pdf.toString('base64') });
      },
      async fail(orderId, kind) {
        await orders(FAIL_INVOICE_MUTATION, { orderId, kind });
      },
    },
    buyers: {
      async buyer(userId) {
        return (await call<InvoiceBuyerResult>(config.usersUrl, USERS_INTERNAL_AUDIENCE, INVOICE_BUYER_QUERY, { userId })).invoiceBuyer;
      },
    },
  };
}
