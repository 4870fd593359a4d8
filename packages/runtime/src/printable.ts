/**
 * Characters that may not stand in text printed as one line (names and cities on invoices, shown
 * to admins): control characters, line and paragraph separators (U+2028, U+2029: PDF renderers
 * break lines at them too) and bidirectional overrides and marks. A break could forge a line
 * ("GSTIN: …") and an override show text other than what is stored. Other format characters stay
 * allowed: Indic scripts need the zero-width joiners.
 */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
const UNPRINTABLE_RUNS = new RegExp(`${UNPRINTABLE.source}+`, 'gu');

/** True when `text` holds a character that may not stand in one printed line. */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE.test(text);
}

/** `text` as one printed line: each run of such characters becomes a space. */
export function oneLine(text: string): string {
  return text.replace(UNPRINTABLE_RUNS, ' ').trim();
}
