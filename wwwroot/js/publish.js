// Publish: a form that POSTs one event, for trying the hub out; shows the stored event or the hub's errors.
import { h, heading, json, problemBox } from './dom.js';
import { call } from './client.js';
import { WELL_KNOWN_TYPES } from './live.js';

export function renderPublish(view) {
  const field = (id, label, control, hint) => h('div', { className: 'field' },
    h('label', { for: id }, label), control, hint ? h('p', { className: 'hint', id: `${id}-hint` }, hint) : null);
  const taskId = h('input', { id: 'publish-task', name: 'task_id', required: true, autocomplete: 'off', spellcheck: false, value: 'demo-1', 'aria-describedby': 'publish-task-hint' });
  const type = h('input', { id: 'publish-type', name: 'type', required: true, autocomplete: 'off', spellcheck: false, value: 'task.progress', list: 'publish-types' });
  const data = h('textarea', { id: 'publish-data', name: 'data', rows: 6, spellcheck: false, value: '{"percent": 50, "message": "Halfway"}', 'aria-describedby': 'publish-data-hint' });
  const key = h('input', { id: 'publish-idempotency', name: 'idempotency_key', autocomplete: 'off', spellcheck: false, 'aria-describedby': 'publish-idempotency-hint' });
  const result = h('div', { className: 'result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', className: 'button primary' }, 'Publish');

  const form = h('form', { className: 'card form', 'aria-label': 'Publish an event' },
    field('publish-task', 'Task id', taskId, 'Letters, digits and . _ : - (up to 128), starting with a letter or digit.'),
    field('publish-type', 'Type', type),
    h('datalist', { id: 'publish-types' }, WELL_KNOWN_TYPES.map((t) => h('option', { value: t }))),
    field('publish-data', 'Data (JSON object)', data, 'task.progress needs "percent" from 0 to 100; "message" is optional.'),
    field('publish-idempotency', 'Idempotency key (optional)', key, 'Publishing again with the same key returns the original event instead of a new one.'),
    h('div', { className: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { task_id: taskId.value.trim(), type: type.value.trim() };
    const text = data.value.trim();
    if (text) {
      try {
        body.data = JSON.parse(text);
      } catch (error) {
        result.replaceChildren(problemBox({ problem: { title: 'The data is not valid JSON', detail: error.message } }));
        data.focus();
        return;
      }
    }
    submit.disabled = true;
    try {
      const headers = key.value.trim() ? { 'Idempotency-Key': key.value.trim() } : {};
      const answer = await call('POST', '/events', body, headers);
      result.replaceChildren(h('div', { className: 'notice notice-ok', role: 'status' },
        h('strong', {}, answer.status === 200 ? 'Already stored (idempotent retry): ' : 'Stored: '),
        h('a', { href: `#/tasks/${encodeURIComponent(answer.body.task_id)}` }, `${answer.body.task_id} #${answer.body.seq}`)),
      json(answer.body));
    } catch (error) {
      result.replaceChildren(problemBox(error));
    } finally {
      submit.disabled = false;
    }
  });

  view.replaceChildren(heading('Publish an event'), h('div', { className: 'split' }, form, result));
}
