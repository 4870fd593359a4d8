/** The label of operations sent without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The label once a service has seen MAX_OPERATION_NAMES distinct names. */
export const OTHER_OPERATIONS = 'other';
/** The label of requests refused before their operation was known (a parse error, a limit). */
export const UNKNOWN_OPERATION = 'unknown';

const VALID_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Operation names come from clients, so a label made of them must be bounded: each distinct label
 * value is a series Prometheus keeps. Names are taken as they come until `max` are known (a real
 * app has tens); anything past that, or not a GraphQL name, is counted under "other".
 */
export class OperationLabels {
  private readonly known = new Set<string>();

  constructor(private readonly max = 200) {}

  labelFor(name: string | null | undefined): string {
    if (name === null || name === undefined || name === '') return ANONYMOUS_OPERATION;
    if (this.known.has(name)) return name;
    if (!VALID_NAME.test(name) || this.known.size >= this.max) return OTHER_OPERATIONS;
    this.known.add(name);
    return name;
  }
}
