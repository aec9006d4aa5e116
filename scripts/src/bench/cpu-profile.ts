/**
 * Summaries of V8 `.cpuprofile` files (written by `node --cpu-prof` at exit): self time by package and by function,
 * optionally restricted to a time window given in CLOCK_MONOTONIC microseconds (process.hrtime), which is the
 * clock V8's profile timestamps use on Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  pid: number;
  /** Sampled time inside the window, in ms (idle included). */
  totalMs: number;
  idleMs: number;
  /** Whether the window matched the profile's clock (else the whole profile is summarised). */
  windowed: boolean;
  byPackage: Array<{ name: string; ms: number }>;
  byFunction: Array<{ name: string; ms: number }>;
}

const PROFILE_FILE = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/;
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Which code a frame belongs to: a package, one of our workspaces, Node core, or a V8 pseudo-frame. */
export function frameOwner(url: string, functionName: string): string {
  if (functionName.startsWith('(') && functionName.endsWith(')') && !url) return functionName; // (idle) (program) (garbage collector)
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const local = url.replace(/^file:\/\//, '');
  if (local.startsWith(ROOT)) {
    const rel = local.slice(ROOT.length + 1).split('/');
    if (rel[0] === 'packages') return `@dropgate/${rel[1]}`;
    if (rel[0] === 'apps') return `apps/${rel[1]}`;
    return rel.slice(0, 2).join('/');
  }
  if (url.startsWith('node:')) return 'node core';
  return url;
}

export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const useWindow = window !== undefined && profile.startTime < window.toUs && profile.endTime > window.fromUs;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (useWindow && (t < window.fromUs || t > window.toUs)) continue;
    // The time since the previous sample is charged to this sample's frame.
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const owner = frameOwner(url, functionName);
    totalUs += delta;
    if (owner === '(idle)') {
      idleUs += delta;
      continue;
    }
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + delta);
    const where = url ? `${owner === 'node core' ? url.replace(/^node:/, '') : owner}:${lineNumber + 1}` : owner;
    const fn = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + delta);
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .map(([name, us]) => ({ name, ms: us / 1000 }))
      .sort((a, b) => b.ms - a.ms);
  const pid = Number(PROFILE_FILE.exec(path.basename(file))?.[1] ?? NaN);
  return { file, pid, totalMs: totalUs / 1000, idleMs: idleUs / 1000, windowed: useWindow, byPackage: sorted(byPackage), byFunction: sorted(byFunction) };
}

/** `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile` files of a directory, by pid. */
export function profilesIn(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return out;
  }
  for (const f of files) {
    const m = PROFILE_FILE.exec(f);
    if (m) out.set(Number(m[1]), path.join(dir, f));
  }
  return out;
}
