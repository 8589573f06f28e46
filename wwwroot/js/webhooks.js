// Webhooks: register one (its secret is shown once), list them, switch them on and off, rotate the secret, read
// the delivery attempt log and replay from a seq.
import { badge, h, heading, problemBox, table, time } from './dom.js';
import { del, get, patch, post, withQuery } from './client.js';
import { formatFields, sendTest } from './webhook-format.js';

const REFRESH_MS = 3000;

/** #/webhooks */
export async function renderWebhooks(view) {
  const url = h('input', { id: 'webhook-url', name: 'url', type: 'url', required: true, placeholder: 'https://example.com/hooks/pushhub', autocomplete: 'off' });
  const task = h('input', { id: 'webhook-task', name: 'task_id', autocomplete: 'off', spellcheck: false, placeholder: 'every task (or a pattern: deploy-*)' });
  const notify = formatFields(url);
  const types = h('input', { id: 'webhook-types', name: 'types', autocomplete: 'off', spellcheck: false, placeholder: 'every type', 'aria-describedby': 'webhook-types-hint' });
  const description = h('input', { id: 'webhook-description', name: 'description', autocomplete: 'off' });
  const created = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const form = h('form', { className: 'card form grid-form', 'aria-label': 'Register a webhook' },
    h('div', { className: 'field wide' }, h('label', { for: 'webhook-url' }, 'URL'), url),
    notify.fields,
    h('div', { className: 'field' }, h('label', { for: 'webhook-task' }, 'Task id (optional)'), task),
    h('div', { className: 'field' }, h('label', { for: 'webhook-types' }, 'Types (optional)'), types,
      h('p', { className: 'hint', id: 'webhook-types-hint' }, 'Separated by spaces or commas.')),
    h('div', { className: 'field wide' }, h('label', { for: 'webhook-description' }, 'Description (optional)'), description),
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'button primary' }, 'Register webhook')));
  view.replaceChildren(heading('Webhooks'), form, created, h('h2', {}, 'Registered'), list);

  const refresh = async () => {
    try {
      const { webhooks } = await get('/webhooks');
      notify.setWebhooks(webhooks);
      list.replaceChildren(webhooks.length === 0
        ? h('p', { className: 'empty' }, 'No webhooks yet.')
        : table('Registered webhooks', ['Webhook', 'Filter', 'State', 'Created', 'Actions'], webhooks.map((w) => webhookRow(w, refresh, created))));
    } catch (error) {
      list.replaceChildren(problemBox(error));
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { url: url.value.trim() };
    if (task.value.trim()) body.task_id = task.value.trim();
    const typeList = types.value.split(/[\s,]+/).filter(Boolean);
    if (typeList.length) body.types = typeList;
    if (description.value.trim()) body.description = description.value.trim();
    notify.fill(body);
    try {
      const webhook = await post('/webhooks', body);
      created.replaceChildren(secretNotice('Webhook registered', webhook));
      form.reset();
      notify.reset();
      await refresh();
    } catch (error) {
      created.replaceChildren(problemBox(error));
    }
  });
  await refresh();
}

/** The secret, shown once, with a button to copy it. */
function secretNotice(title, webhook) {
  const secret = h('code', { className: 'secret' }, webhook.secret);
  const copy = h('button', { type: 'button', className: 'button' }, 'Copy');
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(webhook.secret); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy it'; }
  });
  return h('div', { className: 'notice notice-ok', role: 'status' },
    h('strong', {}, `${title}: `), h('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.id),
    h('p', {}, 'Its signing secret is shown only now. Store it where your receiver can read it:'),
    h('p', { className: 'secret-line' }, secret, ' ', copy),
    webhook.previous_secret_expires_at ? h('p', {}, 'The previous secret keeps signing alongside it until ', time(webhook.previous_secret_expires_at), '.') : null);
}

function filterText(webhook) {
  const parts = [webhook.task_id ? `task ${webhook.task_id}` : 'all tasks', webhook.types?.length ? webhook.types.join(', ') : 'all types'];
  return parts.join(' · ');
}

function stateBadge(webhook) {
  return webhook.enabled ? badge('enabled', 'completed') : badge('disabled', 'failed');
}

function webhookRow(webhook, refresh, notices) {
  // Each row has the same buttons: their accessible names say which webhook they act on.
  const act = (label, action) => h('button', { type: 'button', className: 'button small', 'aria-label': `${label} ${webhook.url}`, onclick: async () => {
    try { await action(); await refresh(); } catch (error) { notices.replaceChildren(problemBox(error)); }
  } }, label);
  return h('tr', { 'data-webhook': webhook.id },
    h('th', { scope: 'row' }, h('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.url),
      h('div', { className: 'muted small' }, webhook.id), webhook.description ? h('div', { className: 'small' }, webhook.description) : null),
    h('td', {}, filterText(webhook)),
    h('td', {}, stateBadge(webhook), webhook.disabled_reason ? h('div', { className: 'muted small' }, webhook.disabled_reason) : null),
    h('td', {}, time(webhook.created_at)),
    h('td', { className: 'actions' },
      act('Send test', async () => notices.replaceChildren(await sendTest(webhook))),
      act(webhook.enabled ? 'Disable' : 'Enable', () => patch(`/webhooks/${encodeURIComponent(webhook.id)}`, { enabled: !webhook.enabled })),
      act('Rotate secret', async () => {
        if (!confirm(`Rotate the secret of ${webhook.url}? The old one keeps signing for the grace period.`)) return;
        notices.replaceChildren(secretNotice('New secret', await post(`/webhooks/${encodeURIComponent(webhook.id)}/rotate-secret`)));
      }),
      act('Delete', async () => {
        if (!confirm(`Delete the webhook to ${webhook.url}? Its pending deliveries are dropped.`)) return;
        await del(`/webhooks/${encodeURIComponent(webhook.id)}`);
      })));
}

/** #/webhooks/{id}: the webhook, its attempt log (refreshed every few seconds) and replay from a seq. */
export async function renderWebhook(view, id) {
  const path = `/webhooks/${encodeURIComponent(id)}`;
  const facts = h('div', {});
  const notices = h('div', { 'aria-live': 'polite' });
  const log = h('div', {});
  const after = h('input', { id: 'replay-after', name: 'after', type: 'number', min: 0, step: 1, required: true, value: '0', inputMode: 'numeric' });
  const until = h('input', { id: 'replay-until', name: 'until', type: 'number', min: 0, step: 1, inputMode: 'numeric', placeholder: 'latest' });
  const replay = h('form', { className: 'card form inline-form', 'aria-label': 'Replay stored events' },
    h('div', { className: 'field' }, h('label', { for: 'replay-after' }, 'Replay events after seq'), after),
    h('div', { className: 'field' }, h('label', { for: 'replay-until' }, 'up to seq (optional)'), until),
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'button', disabled: true }, 'Replay')));
  // Disabled until the webhook is loaded and their handlers are on: a click before that would be lost (and a replay
  // submitted as a plain form).
  const toggle = h('button', { type: 'button', className: 'button', disabled: true });
  const rotate = h('button', { type: 'button', className: 'button', disabled: true }, 'Rotate secret');
  const test = h('button', { type: 'button', className: 'button', disabled: true }, 'Send test');
  view.replaceChildren(
    h('p', {}, h('a', { href: '#/webhooks' }, '← All webhooks')),
    heading('Webhook', test, toggle, rotate), facts, notices, replay,
    h('h2', {}, 'Delivery attempts'), log);

  let webhook;
  const showWebhook = () => {
    toggle.textContent = webhook.enabled ? 'Disable' : 'Enable';
    facts.replaceChildren(h('dl', { className: 'facts card' },
      h('dt', {}, 'URL'), h('dd', {}, h('code', {}, webhook.url)),
      h('dt', {}, 'Format'), h('dd', {}, webhook.format ?? 'standard'),
      h('dt', {}, 'Id'), h('dd', {}, h('code', {}, webhook.id)),
      h('dt', {}, 'Filter'), h('dd', {}, filterText(webhook)),
      h('dt', {}, 'State'), h('dd', {}, stateBadge(webhook), webhook.disabled_reason ? ` ${webhook.disabled_reason}` : ''),
      webhook.fallback ? [h('dt', {}, 'Fallback'), h('dd', {}, h('a', { href: `#/webhooks/${encodeURIComponent(webhook.fallback.webhook_id)}` },
        h('code', {}, webhook.fallback.webhook_id)), webhook.fallback.after ? ` after ${webhook.fallback.after}` : ' on dead letter')] : null,
      webhook.description ? [h('dt', {}, 'Description'), h('dd', {}, webhook.description)] : null,
      h('dt', {}, 'Created'), h('dd', {}, time(webhook.created_at))));
  };
  const refreshLog = async () => {
    try {
      const { deliveries } = await get(withQuery(`${path}/deliveries`, { limit: 200 }));
      log.replaceChildren(deliveries.length === 0
        ? h('p', { className: 'empty' }, 'No attempts yet.')
        : table('Delivery attempts, newest first', ['Seq', 'Attempt', 'Outcome', 'Status', 'Duration', 'Error', 'Response', 'Attempted', 'Next attempt'],
          deliveries.map((d) => h('tr', { 'data-seq': d.seq, 'data-outcome': d.outcome },
            h('td', { className: 'num' }, String(d.seq)), h('td', { className: 'num' }, String(d.attempt)),
            h('td', {}, badge(d.outcome, outcomeKind(d.outcome))),
            h('td', { className: 'num' }, d.response_status === null || d.response_status === undefined ? '—' : String(d.response_status)),
            h('td', { className: 'num' }, `${d.duration_ms.toFixed(1)} ms`),
            h('td', { className: 'small' }, d.error ?? ''),
            h('td', { className: 'small response' }, d.response ?? ''),
            h('td', {}, time(d.attempted_at)), h('td', {}, time(d.next_attempt_at))))));
    } catch (error) {
      log.replaceChildren(problemBox(error));
    }
  };

  try {
    webhook = await get(path);
    showWebhook();
  } catch (error) {
    view.replaceChildren(h('p', {}, h('a', { href: '#/webhooks' }, '← All webhooks')), heading('Webhook'), problemBox(error));
    return undefined;
  }
  toggle.addEventListener('click', async () => {
    try { webhook = await patch(path, { enabled: !webhook.enabled }); showWebhook(); } catch (error) { notices.replaceChildren(problemBox(error)); }
  });
  rotate.addEventListener('click', async () => {
    if (!confirm('Rotate this webhook\'s secret? The old one keeps signing for the grace period.')) return;
    try { notices.replaceChildren(secretNotice('New secret', await post(`${path}/rotate-secret`))); } catch (error) { notices.replaceChildren(problemBox(error)); }
  });
  test.addEventListener('click', async () => {
    try { notices.replaceChildren(await sendTest(webhook)); } catch (error) { notices.replaceChildren(problemBox(error)); }
    await refreshLog();
  });
  replay.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { after: Number(after.value) };
    if (until.value !== '') body.until = Number(until.value);
    try {
      const answer = await post(`${path}/replay`, body);
      notices.replaceChildren(h('div', { className: 'notice notice-ok', role: 'status' }, `Queued ${answer.queued} deliver${answer.queued === 1 ? 'y' : 'ies'}.`));
      await refreshLog();
    } catch (error) {
      notices.replaceChildren(problemBox(error));
    }
  });
  for (const button of [toggle, rotate, test, ...replay.querySelectorAll('button')]) button.disabled = false;
  await refreshLog();
  const timer = setInterval(refreshLog, REFRESH_MS);
  return () => clearInterval(timer);
}

function outcomeKind(outcome) {
  return { succeeded: 'completed', failed: 'failed', dead_letter: 'stuck' }[outcome] ?? 'created';
}

