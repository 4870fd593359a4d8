import { Response } from 'undici';

/** An upstream answer read in full, so every caller sharing it can be handed a Response of its own. */
interface Snapshot {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ArrayBuffer;
}

export interface InFlightStats {
  /** Queries that went to a subgraph (mutations are never shared, nor counted here). */
  sent: number;
  /** Requests answered by joining an identical one already on its way. */
  shared: number;
}

/**
 * Identical subgraph requests in flight at the same moment share one: the first is sent, the
 * others wait for its answer, and each gets its own Response (status, headers and body copied), so
 * every caller reads and parses it as if it had been alone. The caller decides what may be shared
 * (queries, never mutations) and what the key holds (everything that makes two requests differ
 * for the subgraph). A failure reaches every sharer. Written here rather than taken from a library:
 * the sharing must sit inside the gateway's one upstream fetcher, keyed on what it forwards.
 */
export class InFlightRequests {
  private readonly pending = new Map<string, Promise<Snapshot>>();
  private readonly counts: InFlightStats = { sent: 0, shared: 0 };

  async share(key: string, send: () => Promise<Response>): Promise<Response> {
    let answer = this.pending.get(key);
    if (answer) {
      this.counts.shared++;
    } else {
      this.counts.sent++;
      answer = send()
        .then(snapshotOf)
        .finally(() => this.pending.delete(key));
      this.pending.set(key, answer);
    }
    const snapshot = await answer;
    return new Response(snapshot.body.slice(0), {
      status: snapshot.status,
      statusText: snapshot.statusText,
      headers: snapshot.headers,
    });
  }

  stats(): InFlightStats {
    return { ...this.counts };
  }
}

async function snapshotOf(response: Response): Promise<Snapshot> {
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: await response.arrayBuffer(),
  };
}
