// The notification parts of the webhook form: the format picker and the options each format needs, the template
// editor with a live preview (POST /webhooks/preview on the hub's sample event), the fallback picker, and the
// "Send test" button's attempt (POST /webhooks/{id}/test).
import { badge, h, problemBox } from './dom.js';
import { post } from './client.js';

const PREVIEW_DELAY_MS = 400;

/** The formats and the options each needs; secret options are password inputs and never shown back. */
const FORMATS = {
  standard: { label: 'Standard (signed event JSON)', options: [] },
  slack: { label: 'Slack (incoming webhook)', options: [] },
  discord: { label: 'Discord', options: [] },
  teams: { label: 'Microsoft Teams (Workflows)', options: [] },
  telegram: { label: 'Telegram', options: [{ name: 'chat_id', label: 'Chat id', secret: false, placeholder: '-1001234567890' }] },
  pagerduty: { label: 'PagerDuty (Events v2)', options: [{ name: 'routing_key', label: 'Routing key', secret: true, placeholder: 'integration key' }] },
  email: { label: 'Email (mailto: URL)', options: [] },
};

/** The form's notification fields; fill(body) adds what the user set to a POST /webhooks body. */
export function formatFields(urlInput) {
  const format = h('select', { id: 'webhook-format', name: 'format' },
    Object.entries(FORMATS).map(([value, { label }]) => h('option', { value }, label)));
  const optionBox = h('div', { className: 'field wide', id: 'webhook-options' });
  const template = h('textarea', { id: 'webhook-template', name: 'template', rows: 5, spellcheck: false, placeholder: 'the default message', 'aria-describedby': 'webhook-template-hint' });
  const preview = h('div', { id: 'webhook-preview', className: 'card preview', 'aria-live': 'polite' });
  const fallback = h('select', { id: 'webhook-fallback', name: 'fallback', 'aria-describedby': 'webhook-fallback-hint' }, h('option', { value: '' }, 'none'));
  const after = h('input', { id: 'webhook-fallback-after', name: 'fallback_after', autocomplete: 'off', placeholder: 'on dead letter only', pattern: '(\\d+\\.)?\\d{2}:\\d{2}:\\d{2}' });
  let optionInputs = {};

  const showOptions = () => {
    optionInputs = {};
    optionBox.replaceChildren(...FORMATS[format.value].options.map((option) => {
      const input = h('input', { id: `webhook-option-${option.name}`, name: option.name, type: option.secret ? 'password' : 'text', required: true, autocomplete: 'off', placeholder: option.placeholder });
      optionInputs[option.name] = input;
      input.addEventListener('input', schedulePreview);
      return h('div', {}, h('label', { for: input.id }, option.label), input);
    }));
    urlInput.placeholder = format.value === 'email' ? 'mailto:ops@example.com,oncall@example.com' : 'https://example.com/hooks/pushhub';
  };
  const options = () => Object.fromEntries(Object.entries(optionInputs).map(([name, input]) => [name, input.value.trim()]));

  let timer;
  let generation = 0;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
  }
  async function renderPreview() {
    const mine = ++generation;
    const body = { format: format.value, template: template.value || null, options: options() };
    if (urlInput.value.trim()) body.url = urlInput.value.trim();
    try {
      const rendered = await post('/webhooks/preview', body);
      if (mine === generation) preview.replaceChildren(...previewContent(rendered));
    } catch (error) {
      if (mine === generation) preview.replaceChildren(problemBox(error));
    }
  }

  format.addEventListener('change', () => { showOptions(); schedulePreview(); });
  template.addEventListener('input', schedulePreview);
  showOptions();

  const fields = [
    h('div', { className: 'field' }, h('label', { for: 'webhook-format' }, 'Format'), format),
    optionBox,
    h('div', { className: 'field wide' }, h('label', { for: 'webhook-template' }, 'Template (optional, Liquid)'), template,
      h('p', { className: 'hint', id: 'webhook-template-hint' }, 'Fields: {{ task_id }}, {{ type }}, {{ status }}, {{ percent }}, {{ message }}, {{ error }}, {{ headline }}, {{ link }}, {{ data.… }}. The preview renders a sample failed task.')),
    h('div', { className: 'field wide' }, h('span', { className: 'label' }, 'Preview'), preview),
    h('div', { className: 'field' }, h('label', { for: 'webhook-fallback' }, 'Fallback webhook'), fallback,
      h('p', { className: 'hint', id: 'webhook-fallback-hint' }, 'Gets the event when this one dead-letters, or is not delivered in time.')),
    h('div', { className: 'field' }, h('label', { for: 'webhook-fallback-after' }, 'Fall back after (hh:mm:ss)'), after),
  ];

  return {
    fields,
    /** Adds the notification fields the user set to the create body. */
    fill(body) {
      if (format.value !== 'standard') body.format = format.value;
      const set = Object.entries(options()).filter(([, value]) => value !== '');
      if (set.length) body.options = Object.fromEntries(set);
      if (template.value.trim()) body.template = template.value;
      if (fallback.value) body.fallback = { webhook_id: fallback.value, after: after.value.trim() || null };
    },
    /** The caller's other webhooks (GET /webhooks lists only those its key may manage) as fallback choices, urls masked. */
    setWebhooks(webhooks) {
      const chosen = fallback.value;
      fallback.replaceChildren(h('option', { value: '' }, 'none'),
        ...webhooks.map((w) => h('option', { value: w.id }, `${w.format ?? 'standard'} · ${w.url}`)));
      fallback.value = webhooks.some((w) => w.id === chosen) ? chosen : '';
    },
    reset() {
      clearTimeout(timer);
      generation++;
      showOptions();
      preview.replaceChildren();
    },
  };
}

/** What a preview answer shows: the email's subject and text, or the body exactly as it would be sent. */
function previewContent(rendered) {
  const meta = h('p', { className: 'muted small' }, `${rendered.format} · ${rendered.content_type}`);
  if (rendered.subject !== null && rendered.subject !== undefined) {
    return [meta, h('p', {}, h('strong', {}, 'Subject: '), h('span', { className: 'preview-subject' }, rendered.subject)),
      h('pre', { className: 'preview-body' }, rendered.body)];
  }
  return [meta, h('pre', { className: 'preview-body' }, prettyIfJson(rendered))];
}

function prettyIfJson(rendered) {
  if (!rendered.content_type?.includes('json')) return rendered.body;
  try { return JSON.stringify(JSON.parse(rendered.body), null, 2); } catch { return rendered.body; }
}

/** Sends the hub's sample event to the webhook now; answers a notice with the attempt. */
export async function sendTest(webhook) {
  const attempt = await post(`/webhooks/${encodeURIComponent(webhook.id)}/test`);
  const delivered = attempt.outcome === 'succeeded';
  return h('div', { className: `notice ${delivered ? 'notice-ok' : 'notice-error'}`, role: 'status', 'data-test-attempt': attempt.outcome },
    h('strong', {}, `Test to ${webhook.url}: `), badge(attempt.outcome, delivered ? 'completed' : 'failed'),
    h('p', {}, `Status ${attempt.response_status ?? '—'} in ${attempt.duration_ms.toFixed(1)} ms`),
    attempt.error ? h('p', { className: 'small' }, attempt.error) : null,
    attempt.response ? h('pre', { className: 'small response' }, attempt.response) : null);
}
