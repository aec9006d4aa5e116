/**
 * `npm run bench:drop:chart`: draws the result `npm run bench:drop` wrote (--in, default docs/bench-drop.json) as an
 * SVG (--svg, default docs/bench-drop.svg): for Dropgate and the afternoon build on one time scale, the requests
 * served, rejected and failed per second, and the codes won so far by customers and by bots.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseFlags } from './bench/cli-flags';
import { dropChart, type ChartSide } from './bench/drop/chart';
import { TOTAL_CODES } from './bench/drop/dropgate-side';
import { errorMessage } from '@dropgate/core';

const flags = parseFlags(process.argv.slice(2), {
  usage: 'npm run bench:drop:chart -- [--in <json>] [--svg <file>]: the chart of a bench:drop run',
  text: { in: 'docs/bench-drop.json', svg: 'docs/bench-drop.svg' },
  about: { in: "bench:drop's full result (its --out)", svg: 'where the chart is written' },
});

interface SavedSide {
  requests: number;
  durationS: number;
}
interface Saved {
  at: string;
  requests: number;
  dropgate: SavedSide | null;
  baseline: SavedSide | null;
  timeline: Record<'dropgate' | 'baseline', Omit<ChartSide, 'label'> | null>;
}

function main(): void {
  const saved = JSON.parse(readFileSync(path.resolve(flags.in), 'utf8')) as Saved;
  const sides: ChartSide[] = [];
  for (const [key, label] of [['dropgate', 'Dropgate'], ['baseline', 'the afternoon build (baseline)']] as const) {
    const t = saved.timeline[key];
    const s = saved[key];
    if (t && s) sides.push({ label: `${label}: ${s.requests.toLocaleString('en-US')} requests in ${s.durationS} s`, ...t });
  }
  if (sides.length === 0) throw new Error(`${flags.in} holds no timeline`);
  writeFileSync(path.resolve(flags.svg), dropChart(`The drop, replayed (bench:drop, ${saved.at.slice(0, 16).replace('T', ' ')} UTC)`, sides, TOTAL_CODES));
  process.stdout.write(`wrote ${flags.svg}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench:drop:chart failed: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
