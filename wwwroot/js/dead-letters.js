// Dead letters: deliveries given up on; inspect one, replay one or all of a webhook's, or delete.
import { h, heading, json, problemBox, table, time } from './dom.js';
import { del, get, post, withQuery } from './client.js';

/** #/dead-letters?webhook= */
export async function renderDeadLetters(view, params) {
  const webhookId = params.get('webhook') ?? '';
  const notices = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const detail = h('section', { className: 'card', 'aria-label': 'Selected dead letter', hidden: true });
  const filter = h('select', { id: 'dead-letter-webhook', name: 'webhook' }, h('option', { value: '' }, 'All webhooks'));
  const replayAll = h('button', { type: 'button', className: 'button', disabled: !webhookId }, 'Replay all of this webhook');
  view.replaceChildren(
    heading('Dead letters', h('label', { for: 'dead-letter-webhook' }, 'Webhook '), filter, replayAll),
    notices, h('div', { className: 'split' }, list, detail));

  filter.addEventListener('change', () => { location.hash = filter.value ? `#/dead-letters?webhook=${encodeURIComponent(filter.value)}` : '#/dead-letters'; });

  const refresh = async () => {
    try {
      const { dead_letters: letters } = await get(withQuery('/dead-letters', { webhook_id: webhookId, limit: 500 }));
      replayAll.disabled = !webhookId || letters.length === 0;
      list.replaceChildren(letters.length === 0
        ? h('p', { className: 'empty' }, 'No dead letters. Deliveries that exhaust their retries land here.')
        : table('Dead letters, newest first', ['Id', 'Webhook', 'Event', 'Reason', 'Attempts', 'Last status', 'Created', 'Actions'],
          letters.map((letter) => letterRow(letter, { refresh, notices, detail }))));
    } catch (error) {
      list.replaceChildren(problemBox(error));
    }
  };

  replayAll.addEventListener('click', async () => {
    try {
      const answer = await post('/dead-letters/replay', { webhook_id: webhookId });
      notices.replaceChildren(h('div', { className: 'notice notice-ok', role: 'status' }, `Queued ${answer.queued} for redelivery.`));
      await refresh();
    } catch (error) {
      notices.replaceChildren(problemBox(error));
    }
  });

  try {
    const { webhooks } = await get('/webhooks');
    filter.append(...webhooks.map((w) => h('option', { value: w.id, selected: w.id === webhookId }, `${w.url} (${w.id})`)));
  } catch {
    // The list still works without the filter's names (a subscriber key cannot list webhooks).
  }
  await refresh();
}

function letterRow(letter, { refresh, notices, detail }) {
  const act = (label, action, extra = {}) => h('button', { type: 'button', className: 'button small', ...extra, onclick: async () => {
    try { await action(); } catch (error) { notices.replaceChildren(problemBox(error)); }
  } }, label);
  return h('tr', { 'data-dead-letter': letter.id },
    h('th', { scope: 'row', className: 'num' }, String(letter.id)),
    h('td', {}, h('a', { href: `#/webhooks/${encodeURIComponent(letter.webhook_id)}`, title: letter.webhook_id, 'aria-label': `Webhook ${letter.webhook_id}` },
      h('code', {}, letter.webhook_id.length > 14 ? `${letter.webhook_id.slice(0, 12)}…` : letter.webhook_id))),
    h('td', {}, h('a', { href: `#/tasks/${encodeURIComponent(letter.task_id)}` }, letter.task_id), ' ', h('code', {}, letter.type), h('div', { className: 'muted small' }, `seq ${letter.seq}`)),
    h('td', { className: 'small' }, letter.reason),
    h('td', { className: 'num' }, String(letter.attempts)),
    h('td', { className: 'num' }, letter.last_status === null || letter.last_status === undefined ? '—' : String(letter.last_status)),
    h('td', {}, time(letter.created_at)),
    h('td', { className: 'actions' },
      act('Inspect', () => inspect(letter, detail), { 'aria-label': `Inspect dead letter ${letter.id}` }),
      act('Replay', async () => {
        const answer = await post(`/dead-letters/${letter.id}/replay`);
        notices.replaceChildren(h('div', { className: 'notice notice-ok', role: 'status' }, `Dead letter ${letter.id} queued for redelivery (${answer.queued}).`));
        await refresh();
      }, { 'aria-label': `Replay dead letter ${letter.id}` }),
      act('Delete', async () => {
        if (!confirm(`Delete dead letter ${letter.id}? It will not be delivered.`)) return;
        await del(`/dead-letters/${letter.id}`);
        await refresh();
      }, { 'aria-label': `Delete dead letter ${letter.id}` })));
}

/** Shows the dead letter and, while it is still stored, the event it holds a copy of. */
async function inspect(letter, detail) {
  detail.hidden = false;
  detail.replaceChildren(h('h2', {}, `Dead letter ${letter.id}`), json(letter));
  try {
    const page = await get(withQuery('/events', { after: letter.seq - 1, task: letter.task_id, limit: 1 }));
    const event = page.events.find((e) => e.seq === letter.seq);
    detail.append(h('h3', {}, 'Event'), event ? json(event) : h('p', { className: 'muted' }, 'Removed from the log by retention; the dead letter keeps its own copy for replay.'));
  } catch (error) {
    detail.append(problemBox(error));
  }
  detail.querySelector('h2').scrollIntoView({ block: 'nearest' });
}
