/** What a cache did since start, per cache: /health shows it and the metrics read it at scrape time. */
export interface CacheStats {
  /** Found in Redis (a value, or a remembered "missing"). */
  hits: number;
  /** Of the hits, how many were a remembered "missing". */
  negativeHits: number;
  /** Not in Redis: read from the database. */
  misses: number;
  /** Read from the database without Redis (Redis unreachable or failing). */
  bypassed: number;
  /** Values stored after a miss. */
  fills: number;
  /** Fills dropped because a write invalidated the key while the database was being read. */
  fillsDiscarded: number;
  /** Keys dropped by writes. */
  invalidations: number;
  /** Redis commands that failed (the request was served from the database). */
  errors: number;
}

export const emptyStats = (): CacheStats => ({
  hits: 0,
  negativeHits: 0,
  misses: 0,
  bypassed: 0,
  fills: 0,
  fillsDiscarded: 0,
  invalidations: 0,
  errors: 0,
});
