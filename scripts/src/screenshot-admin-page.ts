import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AdminClient } from '@dropgate/admin-client';
import { http, launchChromium, startSystem, waitFor } from '@dropgate/testkit';
import { parseFlags } from './bench/cli-flags';
import { errorWithStack } from '@dropgate/core';

/**
 * `npm run screenshot:admin`: the README's picture of the admin page. Starts the real processes on a schema of its
 * own, creates the case's giveaway (tshirt 600, skate-deck 50, yeti 50), signs in to the page in headless Chromium,
 * redeems codes at the intake for a while so the counts move and the rate chart has a line, publishes 10 codes and
 * locks a batch for the show from the page's forms, and saves a full-page screenshot (docs/admin-page.png). Everything it started is stopped and dropped at the end.
 */
const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    usage: "npm run screenshot:admin -- [flags]: the README's picture of the admin page (docs/admin-page.png)",
    numeric: { seconds: 40, redemptionsPerSecond: 2 },
    about: { seconds: 'seconds of redemptions before the screenshot (the rate chart needs a line)', redemptionsPerSecond: 'redemptions per second meanwhile' },
  });
  const out = path.join(ROOT, 'docs', 'admin-page.png');
  const log = (msg: string): void => void process.stdout.write(`${msg}\n`);

  log('starting intake, admin and a worker on a schema of their own ...');
  // Every simulated fan comes from this one address: lift the distinct-customers-per-address defence (30 per 10 min
  // by default), which would otherwise block the address after the 30th fan and flatten the chart.
  const system = await startSystem({ workers: 1, env: { RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000' } });
  const browser = await launchChromium().catch(async (err: unknown) => {
    await system.stop();
    throw err;
  });
  try {
    const client = new AdminClient({ baseUrl: system.adminUrl, token: system.adminToken });
    const campaign = await client.createCampaign({
      name: 'Skate shop giveaway',
      tiers: [
        { name: 'tshirt', reward: 'T-shirt', quantity: 600 },
        { name: 'skate-deck', reward: 'Skate deck', quantity: 50 },
        { name: 'yeti', reward: 'Yeti cooler', quantity: 50 },
      ],
      perCustomerLimit: 1,
      code: { pattern: 'SKATE-####-####' },
      status: 'active',
      target: 700,
    });
    log(`campaign ${campaign.id} created`);
    await waitFor('the intake to know the campaign', async () => ((await http(system.intakeUrl, `/v1/campaigns/${campaign.id}`)).status === 200 ? true : undefined), 15_000, 100);
    const codes = await client.listCodes(campaign.id, { state: 'available' });

    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await page.goto(system.adminUrl);
    await page.getByLabel('Admin token').fill(system.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`tr[data-campaign="${campaign.id}"]`).click();
    await page.getByRole('table', { name: 'Codes by tier and state' }).waitFor();

    // Redemptions at a varying pace, so the chart shows a rate that moves.
    const total = Math.round(flags.seconds * flags.redemptionsPerSecond);
    log(`redeeming ${total} codes over ${flags.seconds} s ...`);
    let accepted = 0;
    for (let i = 0; i < total; i++) {
      const code = codes[(i * 7) % codes.length]!;
      const res = await http(system.intakeUrl, '/v1/redemptions', { body: { campaignId: campaign.id, code: code.code, customerId: `fan-${i}` } });
      if (res.status === 202 || res.status === 200) accepted++;
      const wave = 1 + Math.sin((i / total) * Math.PI * 3);
      await new Promise((resolve) => setTimeout(resolve, 1000 / flags.redemptionsPerSecond / Math.max(0.3, wave)));
      if (i % 10 === 0) process.stdout.write(`\r${i}/${total}`);
    }
    process.stdout.write(`\r${total}/${total}\n`);
    if (accepted === 0) throw new Error('the intake accepted no redemption: nothing to show');
    // The case's operations from the page's own forms: 10 codes published at once, a batch held for the show.
    const publish = page.getByRole('form', { name: 'Publish codes' });
    await publish.getByLabel('Tier').selectOption('tshirt');
    await publish.getByLabel('Count').fill('10');
    await publish.getByLabel('Channel').fill('instagram');
    await publish.getByRole('button', { name: 'Publish' }).click();
    await publish.getByRole('region', { name: 'Published codes' }).waitFor();
    const lock = page.getByRole('form', { name: 'Lock codes' });
    await lock.getByLabel('Tier').selectOption('skate-deck');
    await lock.getByLabel('Count').fill('20');
    await lock.getByLabel('Release in (minutes)').fill('30');
    await lock.getByLabel('Reason').fill('held for the show');
    await lock.getByRole('button', { name: 'Lock' }).click();
    await lock.getByText(/^locked 20 /).waitFor();
    await page.waitForTimeout(4000); // one more refresh of the page (it polls every 3 s)
    mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    log(`screenshot written to ${path.relative(process.cwd(), out)}`);
  } finally {
    await browser.close();
    await system.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshot:admin failed: ${errorWithStack(err)}\n`);
  process.exit(1);
});
