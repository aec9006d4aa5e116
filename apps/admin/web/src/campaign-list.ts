import type { CampaignView } from '@dropgate/admin-client';
import { h, replace } from './dom';

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}`, text: status });
}

/** The campaigns table; a click selects one. */
export class CampaignList {
  readonly element: HTMLElement;
  private readonly body = h('tbody');

  constructor(private readonly onSelect: (id: string) => void) {
    this.element = h(
      'section',
      {},
      h('h2', { text: 'Campaigns' }),
      h('table', { 'aria-label': 'Campaigns' }, h('thead', {}, h('tr', {}, h('th', { text: 'Name' }), h('th', { text: 'Status' }), h('th', { class: 'num', text: 'Redeemed' }))), this.body),
    );
  }

  render(campaigns: CampaignView[], selected: string | undefined): void {
    replace(
      this.body,
      ...campaigns.map((c) =>
        h(
          'tr',
          { class: `selectable${c.id === selected ? ' selected' : ''}`, 'data-campaign': c.id, onclick: () => this.onSelect(c.id) },
          h('td', {}, c.name, h('div', { class: 'muted', text: c.id })),
          h('td', {}, statusBadge(c.status)),
          h('td', { class: 'num', text: `${c.redeemedCount}${c.target === null ? '' : ` / ${c.target}`}` }),
        ),
      ),
    );
    if (campaigns.length === 0) replace(this.body, h('tr', {}, h('td', { colspan: 3, class: 'muted', text: 'No campaign yet: create one.' })));
  }
}
