// Where our gateway's CPU time goes during a bench run: with BENCH_PROFILE=1 it runs under
// `node --cpu-prof` and, once stopped, its profile is summed by function and by package here.
// Opt-in because the profiler costs the profiled gateway a few percent, which the side-by-side
// numbers must not carry.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The node arguments that make a process write its CPU profile into `dir` when it exits. */
export const profilingArgs = (dir) => ['--cpu-prof', `--cpu-prof-dir=${dir}`];

/** Where a frame's code comes from: an npm package, a workspace package, Node itself, or V8. */
function originOf(url) {
  if (!url) return '(native: V8, GC, bindings)';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node (core)';
  const workspace = /\/(gateway|packages\/[^/]+|subgraphs\/[^/]+)\//.exec(url);
  return workspace ? `ours: ${workspace[1]}` : url;
}

/**
 * Self time per function and per origin over every profile in `dir`, largest first, as Markdown.
 * Self time: samples whose top frame is the function, so the shares add up to the whole.
 */
export function summariseProfiles(dir, { top = 20 } = {}) {
  const byFunction = new Map();
  const byOrigin = new Map();
  let totalMs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map();
    // timeDeltas[i] is the time before sample i; charge it to the sampled node.
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const [id, us] of selfUs) {
      const { callFrame } = nodes.get(id);
      if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') continue;
      const ms = us / 1000;
      totalMs += ms;
      const origin = originOf(callFrame.url);
      const name = `${callFrame.functionName || '(anonymous)'} · ${origin}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
    }
  }
  const rows = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => `| ${name.replaceAll('|', '\\|')} | ${ms.toFixed(0)} | ${((100 * ms) / totalMs).toFixed(1)}% |`);
  return [
    `Busy CPU time sampled: ${(totalMs / 1000).toFixed(1)} s (idle excluded).`,
    '',
    '| origin | self ms | share |',
    '| --- | --- | --- |',
    ...rows(byOrigin),
    '',
    '| function · origin | self ms | share |',
    '| --- | --- | --- |',
    ...rows(byFunction),
    '',
  ].join('\n');
}
