/**
 * `npm run load -- --url <intake> --campaign <id> --scenario redeem|claim|bots --duration 30 --connections 64`:
 * load against ANY Dropgate deployment (autocannon driven from TypeScript, progress every 2 s), then a table of what
 * came back (by status and error code) and a final JSON line.
 *
 *   redeem: POST /v1/redemptions with the codes given (--codes a,b,c or --codes-file <file>: one per line, or the
 *           admin's CSV export), cycling, a new customer id per request;
 *   claim:  POST /v1/claims (optionally --tier), a new customer id per request;
 *   bots:   POST /v1/redemptions with well-formed WRONG codes (shaped like the codes given), a new customer id per
 *           request: what a guessing botnet sends.
 * --xff 1 sends every request from a different made-up address in X-Forwarded-For: ONLY against a target that trusts
 * the proxy hop it comes through (else the target sees one address, yours, and rightly limits it).
 * Its exit code says whether the target served (LOAD_EXIT: 3 nothing got through, 4 too many failures), so a
 * script or CI running it fails when the deployment does.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cannon, statusText } from './bench/cannon';
import { parseFlags } from './bench/cli-flags';
import { LOAD_EXIT, LOAD_EXIT_HELP, loadVerdict } from './bench/load/load-verdict';
import { parseCodesFile, SCENARIOS, scenarioRequests } from './bench/load/scenarios';
import { formatTable, round } from './bench/table';
import { errorMessage } from '@dropgate/core';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

const flags = parseFlags(process.argv.slice(2), {
  usage: `npm run load -- --url <intake> --campaign <id> --scenario redeem|claim|bots [flags]: load against any deployment\n${LOAD_EXIT_HELP}`,
  numeric: { duration: 30, connections: 64, xff: 0, 'max-failed-pct': 1 },
  words: { scenario: SCENARIOS },
  text: { url: '', campaign: '', codes: '', 'codes-file': '', tier: '', 'customer-prefix': '' },
  about: {
    duration: 'seconds of load',
    connections: 'concurrent connections',
    'max-failed-pct': 'the share of requests (%) that may fail, transport errors and 5xx together, with the run still exiting 0',
    xff: '1: every request from a different made-up address in X-Forwarded-For (ONLY against a target that trusts the proxy hop)',
    scenario: 'redeem the codes given, claim, or bots (well-formed wrong codes shaped like the codes given)',
    url: "the intake's base URL, e.g. http://127.0.0.1:3000 (required)",
    campaign: 'the campaign id (required)',
    codes: 'codes to redeem, comma-separated',
    'codes-file': "codes to redeem: one per line, or a CSV with a header naming a code column (quoted or not), such as the admin's export",
    tier: "the tier to claim (the campaign's first when not set)",
    'customer-prefix': 'prefix of the customer ids sent, one new id per request (random when not set)',
  },
});

const log = (line = ''): void => void process.stdout.write(line + '\n');
const ERROR_CODE = /"code"\s*:\s*"([a-z_]+)"/;

async function main(): Promise<void> {
  if (!flags.url || !URL.canParse(flags.url)) throw new Error('--url <intake base URL> is required, e.g. --url http://127.0.0.1:3000');
  if (!flags.campaign) throw new Error('--campaign <id> is required');
  const codes = [
    ...(flags.codes ? flags.codes.split(',').map((c) => c.trim()).filter(Boolean) : []),
    ...(flags['codes-file'] ? parseCodesFile(readFileSync(flags['codes-file'], 'utf8')) : []),
  ];
  const url = flags.url.replace(/\/+$/, '');
  const next = scenarioRequests({
    scenario: flags.scenario,
    campaignId: flags.campaign,
    codes,
    tier: flags.tier || undefined,
    rotateForwardedFor: flags.xff === 1,
    customerPrefix: flags['customer-prefix'] || `load-${randomBytes(3).toString('hex')}`,
  });
  const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch((err: unknown) => {
    throw new Error(`cannot reach ${url}/healthz: ${errorMessage(err)}`);
  });
  if (!health.ok) throw new Error(`${url}/healthz answered ${health.status}`);
  await checkCampaign(url, flags.campaign, flags.scenario === 'claim' ? flags.tier : '');
  log(
    `load: ${flags.scenario} on campaign ${flags.campaign} at ${url}, ${flags.connections} connections for ${flags.duration} s` +
      `${codes.length ? `, ${codes.length.toLocaleString('en-US')} codes given` : ''}${flags.xff === 1 ? ', rotating X-Forwarded-For' : ''}`,
  );
  const answers = new Map<string, number>();
  let n = 0;
  // Ctrl-C (or SIGTERM): stop sending and still print what came back, then exit 130; a second one quits at once.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`\ninterrupted (${signal}): stopping the load and summing up what came back (again to quit at once)`);
    interrupted.abort();
    for (const s of STOP_SIGNALS) process.once(s, () => process.exit(130));
  };
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  const run = await cannon({
    signal: interrupted.signal,
    url,
    connections: flags.connections,
    durationS: flags.duration,
    request: () => next(n++),
    onResponse: (status, body) => {
      const key = status >= 400 ? `${status} ${ERROR_CODE.exec(body)?.[1] ?? '?'}` : String(status);
      answers.set(key, (answers.get(key) ?? 0) + 1);
    },
    progressLabel: flags.scenario,
    progressEveryS: 2,
  });
  for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
  const verdict = loadVerdict({ scenario: flags.scenario, statuses: run.statuses, errors: run.errors, maxFailedPct: flags['max-failed-pct'] });
  log('');
  log(formatTable(['answer', 'count', 'share'], [...answers].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, c, `${round((c / Math.max(1, run.responses)) * 100, 1)}%`])));
  log('');
  log(`${run.responses.toLocaleString('en-US')} answers in ${run.durationS} s = ${run.rps} req/s; latency p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms; ${run.errors} errors, ${run.timeouts} timeouts (${statusText(run.statuses)})`);
  log(
    JSON.stringify({
      scenario: flags.scenario,
      url,
      campaign: flags.campaign,
      connections: flags.connections,
      durationS: run.durationS,
      requests: run.responses,
      rps: run.rps,
      p50Ms: run.p50Ms,
      p99Ms: run.p99Ms,
      errors: run.errors,
      timeouts: run.timeouts,
      statuses: run.statuses,
      answers: Object.fromEntries(answers),
      ...(interrupted.signal.aborted ? { interrupted: true } : { exitCode: verdict.exitCode }),
    }),
  );
  if (interrupted.signal.aborted) process.exitCode = LOAD_EXIT.interrupted;
  else {
    if (verdict.exitCode !== LOAD_EXIT.ok) process.stderr.write(`load: ${verdict.reason} (exit ${verdict.exitCode})\n`);
    process.exitCode = verdict.exitCode;
  }
}

/**
 * The campaign as the intake's public view has it, before any load: an unknown campaign or tier would otherwise be
 * seconds of identical 404s or 422s. A closed campaign is only a warning (its 409s may be what is being tested).
 */
async function checkCampaign(url: string, campaignId: string, tier: string): Promise<void> {
  const res = await fetch(`${url}/v1/campaigns/${encodeURIComponent(campaignId)}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) throw new Error(`campaign ${campaignId} is not known at ${url}, or still a draft (GET /v1/campaigns/${campaignId}: 404)`);
  if (!res.ok) return log(`note: GET /v1/campaigns/${campaignId} answered ${res.status}; not checked`);
  const campaign = (await res.json()) as { open?: boolean; tiers?: { name: string }[] };
  const tiers = (campaign.tiers ?? []).map((t) => t.name);
  if (tier && !tiers.includes(tier)) throw new Error(`--tier ${tier} is not a tier of campaign ${campaignId} (its tiers: ${tiers.join(', ')})`);
  if (campaign.open === false) log(`note: campaign ${campaignId} is not open: expect 409 answers`);
}

main().catch((err: unknown) => {
  process.stderr.write(`load failed: ${errorMessage(err)}\n`);
  process.exitCode = LOAD_EXIT.failed;
});
