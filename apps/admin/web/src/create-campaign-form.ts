import type { AdminClient, CampaignView, NewTier } from '@dropgate/admin-client';
import { busy, fields, h } from './dom';

/** One tier per line: `name quantity reward...`, e.g. `tshirt 600 T-shirt`. */
export function parseTiers(text: string): NewTier[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^(\S+)\s+(\d+)(?:\s+(.+))?$/.exec(line);
      if (!m) throw new Error(`tier line "${line}": expected "name quantity reward"`);
      return { name: m[1]!, quantity: Number(m[2]), reward: m[3] ?? m[1]! };
    });
}

export function createCampaignForm(client: AdminClient, onCreated: (c: CampaignView) => void): HTMLElement {
  const status = h('div', { class: 'notice', role: 'status' });
  const submit = h('button', { type: 'submit', text: 'Create campaign' });
  const form = h(
    'form',
    { 'aria-label': 'New campaign' },
    h('div', { class: 'row' }, h('label', {}, 'Name', h('input', { name: 'name', required: true, maxlength: 200 })), h('label', {}, 'Code pattern', h('input', { name: 'pattern', placeholder: 'SKATE-####-####' }))),
    h('div', { class: 'row' }, h('label', {}, 'Tiers (name quantity reward)', h('textarea', { name: 'tiers', required: true, placeholder: 'tshirt 600 T-shirt\nskate-deck 50 Skate deck' }))),
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'Per customer', h('input', { name: 'perCustomer', type: 'number', min: 1, value: 1 })),
      h('label', {}, 'Target', h('input', { name: 'target', type: 'number', min: 1, placeholder: 'none' })),
      submit,
    ),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void busy(submit, status, async () => {
      const f = fields(form);
      const created = await client.createCampaign({
        name: f.name ?? '',
        tiers: parseTiers(f.tiers ?? ''),
        perCustomerLimit: Number(f.perCustomer || 1),
        code: f.pattern ? { pattern: f.pattern } : { length: 12 },
        status: 'active',
        ...(f.target ? { target: Number(f.target) } : {}),
      });
      form.reset();
      onCreated(created);
      return `created ${created.id}`;
    });
  });
  return h('section', {}, h('h2', { text: 'New campaign' }), form);
}
