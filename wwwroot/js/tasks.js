// Tasks: every task, newest first, with a progress bar moved by live events; and one task's event timeline.
import { badge, h, heading, problemBox, progressBar, setProgress, table, time, json } from './dom.js';
import { get, withQuery } from './client.js';
import { live } from './live.js';
import { applyEvent, STATUSES, summary } from './task-state.js';

const LIST_LIMIT = 500;
const TIMELINE_LIMIT = 5000;

/** #/tasks?status= */
export async function renderTasks(view, params) {
  const status = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const filter = h('select', { id: 'task-status', name: 'status', onchange: () => { location.hash = filter.value ? `#/tasks?status=${filter.value}` : '#/tasks'; } },
    h('option', { value: '' }, 'All statuses'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)));
  const body = h('tbody', {});
  const empty = h('p', { className: 'empty' }, 'No tasks yet. Publish an event to create one.');
  const list = h('div', { className: 'table-wrap' }, h('table', { className: 'tasks' },
    h('caption', { className: 'visually-hidden' }, 'Tasks, most recently updated first'),
    h('thead', {}, h('tr', {}, ['Task', 'Status', 'Progress', 'Message', 'Updated', 'Events'].map((t) => h('th', { scope: 'col' }, t)))),
    body));
  view.replaceChildren(
    heading('Tasks', h('label', { for: 'task-status' }, 'Status '), filter),
    list, empty);

  const rows = new Map();
  const upsert = (task, moveToTop) => {
    let row = rows.get(task.task_id);
    if (!row) {
      row = taskRow(task);
      rows.set(task.task_id, row);
      moveToTop ? body.prepend(row.element) : body.append(row.element);
      // The list stays as long as it was loaded: the least recently updated task leaves when a new one arrives.
      if (rows.size > LIST_LIMIT) {
        const last = body.lastElementChild;
        rows.delete(last.dataset.task);
        last.remove();
      }
    } else {
      row.update(task);
      if (moveToTop && body.firstChild !== row.element) body.prepend(row.element);
    }
    empty.hidden = true;
  };

  try {
    const { tasks } = await get(withQuery('/tasks', { status, limit: LIST_LIMIT }));
    for (const task of tasks) upsert(task, false);
    empty.hidden = tasks.length > 0;
  } catch (error) {
    view.append(problemBox(error));
  }

  const onEvent = ({ detail: event }) => {
    const current = rows.get(event.task_id)?.task;
    const next = applyEvent(current, event);
    if (status && next.status !== status) {
      // The task left the filtered status: drop its row.
      if (current) { rows.get(event.task_id).element.remove(); rows.delete(event.task_id); }
      return;
    }
    upsert(next, true);
  };
  live.addEventListener('event', onEvent);
  return () => live.removeEventListener('event', onEvent);
}

function taskRow(initial) {
  const link = h('a', { href: `#/tasks/${encodeURIComponent(initial.task_id)}` }, initial.task_id);
  const statusCell = h('td', {});
  const bar = progressBar(initial.percent, `Progress of ${initial.task_id}`);
  const percentText = h('span', { className: 'percent' });
  const message = h('td', { className: 'message' });
  const updated = h('td', {});
  const count = h('td', { className: 'num' });
  const element = h('tr', { 'data-task': initial.task_id },
    h('th', { scope: 'row' }, link), statusCell, h('td', { className: 'progress-cell' }, h('div', { className: 'progress-line' }, bar, percentText)), message, updated, count);
  const row = {
    element,
    task: initial,
    update(task) {
      row.task = task;
      statusCell.replaceChildren(badge(task.status));
      setProgress(bar, task.percent);
      percentText.textContent = typeof task.percent === 'number' ? `${Math.round(task.percent)}%` : '';
      message.textContent = task.message ?? '';
      updated.replaceChildren(time(task.updated_at));
      count.textContent = String(task.event_count);
    },
  };
  row.update(initial);
  return row;
}

/** #/tasks/{id}: the task's state and every stored event of it, oldest first, growing live. */
export async function renderTask(view, id) {
  const bar = progressBar(null, `Progress of ${id}`);
  const state = h('dl', { className: 'facts' });
  const timeline = h('ol', { className: 'timeline', 'aria-label': `Events of ${id}` });
  view.replaceChildren(
    h('p', {}, h('a', { href: '#/tasks' }, '← All tasks')),
    heading(`Task ${id}`),
    h('div', { className: 'card' }, bar, state),
    h('h2', {}, 'Timeline'),
    timeline);

  let task;
  const show = () => {
    setProgress(bar, task?.percent);
    state.replaceChildren(...fact('Status', task ? badge(task.status) : '—'),
      ...fact('Progress', typeof task?.percent === 'number' ? `${task.percent}%` : '—'),
      ...fact('Message', task?.message ?? '—'), ...fact('Created', time(task?.created_at)),
      ...fact('Updated', time(task?.updated_at)), ...fact('Events', String(task?.event_count ?? 0)),
      ...fact('Last seq', String(task?.last_seq ?? '—')));
  };
  const seen = new Set();
  const append = (event) => {
    if (seen.has(event.seq)) return;
    seen.add(event.seq);
    timeline.append(timelineItem(event));
  };

  try {
    task = await get(`/tasks/${encodeURIComponent(id)}`);
    show();
    let after = 0;
    while (seen.size < TIMELINE_LIMIT) {
      const page = await get(withQuery('/events', { task: id, after, limit: 1000 }));
      page.events.forEach(append);
      if (page.events.length < 1000) break;
      after = page.last_seq;
    }
    if (seen.size >= TIMELINE_LIMIT) view.append(h('p', { className: 'muted' }, `Showing the first ${TIMELINE_LIMIT} events.`));
  } catch (error) {
    show();
    view.insertBefore(problemBox(error), timeline);
  }

  const onEvent = ({ detail: event }) => {
    if (event.task_id !== id) return;
    task = applyEvent(task, event);
    show();
    append(event);
  };
  live.addEventListener('event', onEvent);
  return () => live.removeEventListener('event', onEvent);
}

function fact(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

/** An event as a line with its time, type and summary; the line opens to the full JSON. */
export function timelineItem(event) {
  return h('li', { 'data-seq': event.seq },
    h('details', {},
      h('summary', {}, h('span', { className: 'seq' }, `#${event.seq}`), ' ', time(event.timestamp), ' ',
        h('code', { className: 'type' }, event.type), ' ', h('span', { className: 'muted' }, summary(event))),
      json(event)));
}
