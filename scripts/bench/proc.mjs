// What a process costs, read from Linux's /proc: CPU time from /proc/<pid>/stat, resident memory
// from /proc/<pid>/status. Read from outside so every gateway is measured the same way, whatever
// it runs on, and without the load generator's own work mixed in.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (100 almost everywhere; asked once). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time the process has used so far, in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function statusKb(pid, key) {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** Resident memory now, in MB. */
export const rssMb = (pid) => statusKb(pid, 'VmRSS') / 1024;

/** Peak resident memory since the last resetPeak (or the start), in MB. */
export const peakRssMb = (pid) => statusKb(pid, 'VmHWM') / 1024;

/**
 * Starts a new peak-RSS window (writing 5 to clear_refs resets VmHWM to the current RSS). Returns
 * false where that is not allowed; the peak is then the process's lifetime peak, which only
 * overstates it.
 */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
