import type { AdminClient, CampaignView, JobView, StatsView } from '@dropgate/admin-client';
import { CODE_STATES } from '@dropgate/core';
import { statusBadge } from './campaign-list';
import { busy, fields, h, replace } from './dom';
import { LANDED } from './landed';
import { RateChart } from './rate-chart';

const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));

/** One campaign: lifecycle buttons, live counts and rate, code operations, its audit trail. */
export class CampaignPanel {
  readonly element: HTMLElement;
  private readonly title = h('h2');
  private readonly counts = h('div');
  private readonly rate = h('div', { class: 'muted', role: 'status', 'aria-label': 'Rate' });
  private readonly chartBox = h('div', { class: 'chart' });
  private readonly lifecycleStatus = h('div', { class: 'notice', role: 'status' });
  private readonly audit = h('div');
  private chart: RateChart | undefined;
  private campaign: CampaignView | undefined;

  constructor(
    private readonly client: AdminClient,
    private readonly onChanged: () => void,
  ) {
    const move = (label: string, cls: string, to: (id: string) => Promise<CampaignView>) => {
      const button = h('button', { type: 'button', class: cls, text: label });
      button.addEventListener('click', () => {
        const id = this.campaign?.id;
        if (!id) return;
        void busy(button, this.lifecycleStatus, async () => {
          const c = await to(id);
          this.onChanged();
          await this.refresh();
          return `${c.name}: ${c.status}`;
        });
      });
      return button;
    };
    this.element = h(
      'div',
      { class: 'hidden' },
      h(
        'section',
        { 'aria-label': 'Campaign' },
        this.title,
        h(
          'div',
          { class: 'row' },
          move('Pause', 'secondary', (id) => client.pause(id)),
          move('Resume', 'secondary', (id) => client.resume(id)),
          move('Stop', 'danger', (id) => client.stop(id)),
        ),
        this.lifecycleStatus,
        h('h2', { text: 'Codes by tier and state' }),
        this.counts,
        h('h2', { text: 'Redemptions per minute' }),
        this.rate,
        this.chartBox,
      ),
      LANDED.generate && this.generateSection(),
      LANDED.import && this.importSection(),
      LANDED.publish && this.publishSection(),
      LANDED.locks && this.lockSection(),
      this.downloadSection(),
      LANDED.audit && h('section', { 'aria-label': 'Audit trail' }, h('h2', { text: 'Audit trail' }), this.audit),
    );
  }

  async show(campaign: CampaignView): Promise<void> {
    if (this.campaign?.id !== campaign.id) {
      this.chart?.destroy();
      this.chartBox.replaceChildren();
      this.element.classList.remove('hidden');
      this.chart = new RateChart(this.chartBox);
    }
    this.campaign = campaign;
    await this.refresh();
  }

  /** Re-reads the campaign, its counts and its audit trail (called every few seconds while shown). */
  async refresh(): Promise<void> {
    const c = this.campaign;
    if (!c) return;
    const [campaign, stats] = await Promise.all([this.client.getCampaign(c.id), this.client.stats(c.id)]);
    this.campaign = campaign;
    replace(this.title, `${campaign.name} `, statusBadge(campaign.status), campaign.stopReason ? h('span', { class: 'muted', text: ` (${campaign.stopReason})` }) : null);
    this.renderCounts(stats);
    const perMinute = this.chart?.add(stats.redemptions);
    this.rate.textContent = `${stats.redemptions} redeemed${stats.target === null ? '' : ` of target ${stats.target}`}${perMinute === undefined ? '' : ` · ${perMinute.toFixed(1)} / min now`}`;
    if (LANDED.audit) await this.refreshAudit(campaign.id);
  }

  private renderCounts(stats: StatsView): void {
    const tiers = Object.entries(stats.codes);
    replace(
      this.counts,
      h(
        'table',
        { 'aria-label': 'Codes by tier and state' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Tier' }), ...CODE_STATES.map((s) => h('th', { class: 'num', text: s })))),
        h('tbody', {}, ...tiers.map(([tier, counts]) => h('tr', { 'data-tier': tier }, h('td', { text: tier }), ...CODE_STATES.map((s) => h('td', { class: 'num', 'data-state': s, text: counts[s] ?? 0 }))))),
      ),
    );
  }

  private async refreshAudit(campaignId: string): Promise<void> {
    const result = await this.client.audit({ campaignId, limit: 20 });
    const entries = Array.isArray(result) ? result : ((result as { entries?: unknown[]; items?: unknown[] }).entries ?? (result as { items?: unknown[] }).items ?? []);
    const rows = (entries as Array<Record<string, unknown>>).map((e) =>
      h(
        'tr',
        {},
        h('td', { text: cell(e.at ?? e.createdAt ?? e.time) }),
        h('td', { text: cell(e.actor ?? e.tokenName ?? e.who) }),
        h('td', { text: cell(e.action ?? e.type ?? e.what) }),
        h('td', { class: 'muted', text: JSON.stringify(e.details ?? e.data ?? '') }),
      ),
    );
    replace(
      this.audit,
      h('table', { 'aria-label': 'Audit trail' }, h('thead', {}, h('tr', {}, h('th', { text: 'When' }), h('th', { text: 'Who' }), h('th', { text: 'What' }), h('th', { text: 'Details' }))), h('tbody', {}, ...rows)),
    );
  }

  private tierSelect(): HTMLSelectElement {
    const select = h('select', { name: 'tier', required: true });
    const fill = () => replace(select, ...(this.campaign?.tiers ?? []).map((t) => h('option', { value: t.name, text: `${t.name} (${t.reward})` })));
    select.addEventListener('focus', fill);
    this.tierSelects.push(fill);
    return select;
  }

  private readonly tierSelects: Array<() => void> = [];

  /** Keeps every tier picker in step with the campaign shown. */
  syncTiers(): void {
    for (const fill of this.tierSelects) fill();
  }

  private progressOf(label: string): { bar: HTMLProgressElement; text: HTMLElement; element: HTMLElement; onJob: (job: JobView) => void } {
    const bar = h('progress', { max: 1, value: 0, 'aria-label': `${label} progress` });
    const text = h('span', { class: 'muted' });
    return {
      bar,
      text,
      element: h('div', { class: 'row' }, bar, text),
      onJob: (job) => {
        bar.max = Math.max(job.total, 1);
        bar.value = job.done;
        text.textContent = `${job.state}: ${job.done} / ${job.total}`;
      },
    };
  }

  private generateSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const progress = this.progressOf('Generation');
    const submit = h('button', { type: 'submit', text: 'Generate' });
    const form = h('form', { 'aria-label': 'Generate codes' }, h('div', { class: 'row' }, h('label', {}, 'Tier', this.tierSelect()), h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, required: true })), submit), progress.element, status);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const { jobId } = await this.client.generateCodes(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count) });
        const job = await this.client.waitForJob(jobId, progress.onJob);
        await this.refresh();
        return `generated ${job.done} codes`;
      });
    });
    return h('section', {}, h('h2', { text: 'Generate codes' }), form);
  }

  private importSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const progress = this.progressOf('Import');
    const submit = h('button', { type: 'submit', text: 'Import' });
    const file = h('input', { name: 'file', type: 'file', accept: '.csv,.jsonl,.ndjson,text/csv', required: true });
    const form = h('form', { 'aria-label': 'Import codes' }, h('div', { class: 'row' }, h('label', {}, 'CSV or JSON lines', file), submit), progress.element, status);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      void busy(submit, status, async () => {
        const jsonl = /\.(jsonl|ndjson)$/i.test(chosen.name);
        const report = await this.client.importCodes(this.campaign!.id, chosen, jsonl ? 'application/x-ndjson' : 'text/csv');
        await this.refresh();
        return `imported ${report.inserted} of ${report.lines} lines: ${report.duplicates} duplicates, ${report.malformed} malformed`;
      });
    });
    return h('section', {}, h('h2', { text: 'Import codes' }), form);
  }

  private publishSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const out = h('div', { class: 'codes hidden', 'aria-label': 'Published codes' });
    const submit = h('button', { type: 'submit', text: 'Publish' });
    const form = h(
      'form',
      { 'aria-label': 'Publish codes' },
      h('div', { class: 'row' }, h('label', {}, 'Tier', this.tierSelect()), h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, value: 10, required: true })), h('label', {}, 'Channel', h('input', { name: 'channel', placeholder: 'instagram' })), submit),
      status,
      out,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const publication = await this.client.publish(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count), ...(f.channel ? { channel: f.channel } : {}) });
        out.textContent = publication.codes.join('\n');
        out.classList.remove('hidden');
        await this.refresh();
        return `publication ${publication.publicationId}: ${publication.codes.length} codes`;
      });
    });
    return h('section', {}, h('h2', { text: 'Publish codes' }), form);
  }

  private lockSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const submit = h('button', { type: 'submit', text: 'Lock' });
    const release = h('button', { type: 'button', class: 'secondary', text: 'Release all now' });
    const form = h(
      'form',
      { 'aria-label': 'Lock codes' },
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Tier', this.tierSelect()),
        h('label', {}, 'Count', h('input', { name: 'count', type: 'number', min: 1, required: true })),
        h('label', {}, 'Release in (minutes)', h('input', { name: 'releaseIn', type: 'number', min: 1, placeholder: 'never' })),
        h('label', {}, 'Reason', h('input', { name: 'reason', placeholder: 'held for the show' })),
        submit,
        release,
      ),
      status,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(submit, status, async () => {
        const f = fields(form);
        const releaseAt = f.releaseIn ? new Date(Date.now() + Number(f.releaseIn) * 60_000).toISOString() : undefined;
        await this.client.lock(this.campaign!.id, { tier: f.tier ?? '', count: Number(f.count), ...(releaseAt ? { releaseAt } : {}), ...(f.reason ? { reason: f.reason } : {}) });
        await this.refresh();
        return `locked ${f.count} ${f.tier} codes${releaseAt ? ` until ${releaseAt}` : ''}`;
      });
    });
    release.addEventListener('click', () => {
      void busy(release, status, async () => {
        await this.client.release(this.campaign!.id);
        await this.refresh();
        return 'released';
      });
    });
    return h('section', {}, h('h2', { text: 'Lock and release' }), form);
  }

  private downloadSection(): HTMLElement {
    const status = h('div', { class: 'notice', role: 'status' });
    const button = h('button', { type: 'button', class: 'secondary', text: 'Download codes (CSV)' });
    button.addEventListener('click', () => {
      void busy(button, status, async () => {
        const id = this.campaign!.id;
        const res = await this.client.exportCodes(id, { format: 'csv' });
        const url = URL.createObjectURL(await res.blob());
        const a = h('a', { href: url, download: `${id}-codes.csv` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      });
    });
    return h('section', {}, h('h2', { text: 'Download' }), h('div', { class: 'row' }, button), status);
  }
}
