import { subnetAddress } from '../addresses';
import { BLOCKED_ADDRESS, BLOCKED_SUBNET, type BenchRequest, type PathContext } from './paths';

export interface Answer {
  status: number;
  errorCode: string | undefined;
}

/** Sends one request to `baseUrl` and reads the status and the error code (if any) of the answer. */
export async function send(baseUrl: string, req: BenchRequest): Promise<Answer> {
  const res = await fetch(baseUrl + req.path, { method: req.method, headers: req.headers, body: req.body ?? null, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let errorCode: string | undefined;
  try {
    errorCode = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    errorCode = undefined;
  }
  return { status: res.status, errorCode };
}

const guess = (ctx: PathContext, xff: string, n: number): BenchRequest => ({
  method: 'POST',
  path: '/v1/redemptions',
  headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
  body: JSON.stringify({ campaignId: ctx.campaignId, customerId: `pr-${ctx.run}-${n}`, code: ctx.wrongCodes[n % ctx.wrongCodes.length]! }),
});

export interface Primed {
  requests: number;
  /** The first 429 seen while priming, when one was. */
  blockedAfter: number | undefined;
  /** Wrong codes that passed the filter anyway (its false positives): accepted (202) and queued. */
  accepted: number;
}

/**
 * Gets BLOCKED_ADDRESS refused the way a bot gets itself refused: wrong codes, as fast as 8 connections go, until
 * the intake answers 429 (a guess budget or the request rate, whichever comes first), at most `max` requests.
 */
export async function primeAddress(baseUrl: string, ctx: PathContext, max = 600): Promise<Primed> {
  let n = 0;
  let blockedAfter: number | undefined;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (blockedAfter === undefined && n < max) {
        const i = n++;
        const a = await send(baseUrl, guess(ctx, BLOCKED_ADDRESS, i));
        if (a.status === 429) blockedAfter ??= i + 1;
        if (a.status === 202) accepted++;
      }
    }),
  );
  return { requests: n, blockedAfter, accepted };
}

/**
 * Gets the /24 BLOCKED_SUBNET refused as a botnet rotating addresses inside it would: wrong codes from hosts 1-200
 * in turn, and every 25 requests a probe with a REAL code from a host never used (201-254); done when a probe is
 * refused with 429, i.e. the subnet itself is blocked, not just the addresses that sent guesses.
 */
export async function primeSubnet(baseUrl: string, ctx: PathContext, probe: (host: number) => Promise<Answer>, max = 4000): Promise<Primed> {
  let n = 0;
  let probes = 0;
  let accepted = 0;
  while (n < max) {
    const answers = await Promise.all(Array.from({ length: 25 }, (_, k) => send(baseUrl, guess(ctx, subnetAddress(BLOCKED_SUBNET, (n + k) % 200), n + k))));
    accepted += answers.filter((a) => a.status === 202).length;
    n += 25;
    const answer = await probe(200 + (probes++ % 54));
    if (answer.status === 429) return { requests: n, blockedAfter: n, accepted };
  }
  return { requests: n, blockedAfter: undefined, accepted };
}
