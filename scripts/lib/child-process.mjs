// The one way scripts and tests stop a child process they started.

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null }} ChildExit
 *   How a child ended: its exit code, or the signal that ended it (one of the two is null).
 */

/**
 * Asks a child to stop with `signal` and resolves once it has exited. A child
 * that ignores the signal for graceMs is killed with SIGKILL, so a stuck child
 * can never hang the caller; `signal: 'SIGKILL'` in the result tells that apart.
 * Resolves at once for a child that has already exited or never started.
 *
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ signal?: NodeJS.Signals, graceMs?: number }} [options]
 * @returns {Promise<ChildExit>}
 */
export function stopChild(child, { signal = 'SIGTERM', graceMs = 15_000 } = {}) {
  return new Promise((resolve) => {
    // No pid: the spawn itself failed, so no 'exit' may ever come.
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      return resolve({ code: child.exitCode, signal: child.signalCode });
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, exitSignal) => {
      clearTimeout(killer);
      resolve({ code, signal: exitSignal });
    });
    child.kill(signal);
  });
}
