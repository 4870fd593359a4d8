import { CredentialSigner, SERVICE_CREDENTIAL_HEADER, type PrivateKeyJwk } from '@supergraph/auth';

/** Where a customer can be reached; null when no such user exists. */
export type Contact = { phone: string | null } | null;

export interface UsersClient {
  contactOf(userId: string): Promise<Contact>;
}

const CONTACT_QUERY = 'query($userId: ID!) { notificationContact(userId: $userId) { phone } }';

/**
 * Asks the users subgraph, which owns contact details, over its internal field with the worker's
 * own credential (audience `users-internal`). Any failure rejects, so the job is retried.
 */
export function createUsersClient(url: string, key: PrivateKeyJwk, timeoutMs = 5_000): UsersClient {
  const signer = new CredentialSigner('worker', key);
  return {
    async contactOf(userId) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_CREDENTIAL_HEADER]: await signer.credentialFor('users-internal') },
        body: JSON.stringify({ query: CONTACT_QUERY, variables: { userId } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json().catch(() => null)) as {
        data?: { notificationContact: Contact };
        errors?: { message: string; extensions?: { code?: string } }[];
      } | null;
      const error = body?.errors?.[0];
      if (error) throw new Error(`the users subgraph refused the contact lookup: ${error.extensions?.code ?? 'no code'}`);
      if (!body?.data) throw new Error(`the users subgraph answered HTTP ${response.status} without data`);
      return body.data.notificationContact;
    },
  };
}
