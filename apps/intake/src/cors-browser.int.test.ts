import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { listenOn } from '@dropgate/observability';
import { launchChromium, tempPgSchema, TEST_DATABASE_URL } from '@dropgate/testkit';
import { startAttemptWorker, type TestWorker } from '../test/attempt-worker';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * A marketing page on one origin redeeming a code against the intake on another (another port), in headless Chromium:
 * what PUBLIC_CORS_ORIGINS is for. The browser enforces CORS itself (preflight for the JSON POST with its custom
 * headers, then the real request), so this is the check that the headers are what a browser needs, not what we think.
 */

const schema = tempPgSchema('dg_cb');
const prefix = `dgcb${randomBytes(4).toString('hex')}`;

let store: Store;
let drop: CampaignFixture;
let intake: RunningIntake | undefined;
let worker: TestWorker | undefined;
let pageServer: Server;
let pagePort: number;
let browser: Browser;
let page: Page;

interface PageResult {
  ok: boolean;
  status?: number;
  body?: unknown;
  location?: string | null;
  preferenceApplied?: string | null;
  polled?: unknown;
  error?: string;
}

/** What the page's script does: redeem with a key and a wait, read the exposed headers, follow Location. */
function redeemFromPage(target: Page, intakeUrl: string, body: object): Promise<PageResult> {
  return target.evaluate(
    async ({ intakeUrl, body }) => {
      try {
        const res = await fetch(`${intakeUrl}/v1/redemptions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `page-${Date.now()}-retry`, prefer: 'wait=5' },
          body: JSON.stringify(body),
        });
        const location = res.headers.get('location');
        const result = { ok: true, status: res.status, body: (await res.json()), location, preferenceApplied: res.headers.get('preference-applied') };
        if (location === null) return result;
        const polled = (await (await fetch(intakeUrl + location)).json());
        return { ...result, polled };
      } catch (err) {
        return { ok: false, error: String(err) };
      }
    },
    { intakeUrl, body },
  );
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-cors-browser-test' });
  await store.migrate();
  drop = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'sticker', quantity: 5 }] });
  // The marketing page: an empty HTML page on its own port (its own origin).
  pageServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Redeem your code</title><form></form>');
  });
  pagePort = await listenOn(pageServer, 0, '127.0.0.1');
  intake = await startIntake({
    store,
    env: { QUEUE_PREFIX: prefix, PREFER_WAIT_MAX_S: '10', PUBLIC_CORS_ORIGINS: `http://127.0.0.1:${pagePort}`, RATE_ADDRESS_CUSTOMERS: '1000' },
  });
  worker = await startAttemptWorker({ prefix, redemptions: store.redemptions });
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await worker?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  await stopIntakeTest({ apps: [intake], store, schema, prefix });
});

it('lets a page of a listed origin redeem, wait for its outcome, read Location and follow it', async () => {
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  const code = drop.codes.standard![0]!;
  const result = await redeemFromPage(page, intake!.url, { campaignId: drop.campaign.id, code: code.toLowerCase(), customerId: 'page-fan' });
  expect(result).toMatchObject({ ok: true, status: 200, preferenceApplied: 'wait=5', body: { status: 'done', outcome: 'redeemed', code, reward: 'sticker' } });
  const { attemptId } = result.body as { attemptId: string };
  expect(result.location).toBe(`/v1/attempts/${attemptId}`);
  expect(result.polled).toEqual(result.body);
});

it('keeps the answer from a page of another origin (localhost is not 127.0.0.1): the browser refuses it', async () => {
  await page.goto(`http://localhost:${pagePort}/`);
  const result = await redeemFromPage(page, intake!.url, { campaignId: drop.campaign.id, code: drop.codes.standard![1]!, customerId: 'other-page' });
  expect(result.ok).toBe(false);
  expect(result.error).toMatch(/TypeError: Failed to fetch/);
});
