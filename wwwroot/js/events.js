// Live events: the feed of everything the hub commits while the page is open, filtered by task and type,
// with pause/resume and the full JSON of an event on click.
import { h, heading, json, problemBox, time } from './dom.js';
import { get, withQuery } from './client.js';
import { live, WELL_KNOWN_TYPES } from './live.js';
import { summary } from './task-state.js';

const KEEP = 500;
const SHOW = 200;
const RECENT = 100;

/** Every event seen since the page opened (the newest KEEP), so the feed is not empty when you come back to it. */
const history = [];
live.addEventListener('event', ({ detail }) => {
  history.push(detail);
  if (history.length > KEEP) history.splice(0, history.length - KEEP);
});

/** Once, the RECENT events committed before the page opened, so the feed has some context from the start. */
let recent = null;
function loadRecent() {
  recent ??= (async () => {
    const until = live.startSeq;
    const page = await get(withQuery('/events', { after: Math.max(0, until - RECENT), limit: RECENT }));
    history.unshift(...page.events.filter((event) => event.seq <= until));
    if (history.length > KEEP) history.splice(0, history.length - KEEP);
  })();
  return recent;
}

export async function renderEvents(view) {
  const taskInput = h('input', { id: 'feed-task', name: 'task', type: 'search', placeholder: 'any task', autocomplete: 'off', spellcheck: false });
  const typeInput = h('input', { id: 'feed-type', name: 'type', type: 'search', placeholder: 'any type', autocomplete: 'off', spellcheck: false, list: 'feed-types' });
  const types = h('datalist', { id: 'feed-types' }, WELL_KNOWN_TYPES.map((t) => h('option', { value: t })));
  const pause = h('button', { type: 'button', className: 'button', 'aria-pressed': 'false' }, 'Pause');
  const status = h('p', { className: 'muted', role: 'status' });
  const feed = h('ol', { className: 'feed', 'aria-label': 'Events, newest first' });
  const detail = h('section', { className: 'card event-detail', 'aria-label': 'Selected event', hidden: true });
  view.replaceChildren(
    heading('Live events', pause),
    h('form', { className: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'feed-task' }, 'Task'), taskInput,
      h('label', { for: 'feed-type' }, 'Type'), typeInput, types),
    status,
    h('div', { className: 'split' }, feed, detail));

  let paused = false;
  let missed = 0;
  const matches = (event) => {
    const task = taskInput.value.trim();
    const type = typeInput.value.trim();
    return (!task || event.task_id === task || (task.endsWith('*') && event.task_id.startsWith(task.slice(0, -1))))
      && (!type || event.type === type || (type.endsWith('*') && event.type.startsWith(type.slice(0, -1))));
  };
  const select = (event, button) => {
    feed.querySelectorAll('[aria-current]').forEach((b) => b.removeAttribute('aria-current'));
    button.setAttribute('aria-current', 'true');
    detail.hidden = false;
    detail.replaceChildren(h('h2', {}, `Event #${event.seq}`), json(event));
  };
  const item = (event) => {
    const button = h('button', { type: 'button', className: 'feed-item', onclick: () => select(event, button) },
      h('span', { className: 'seq' }, `#${event.seq}`), ' ', time(event.timestamp), ' ',
      h('strong', {}, event.task_id), ' ', h('code', { className: 'type' }, event.type), ' ',
      h('span', { className: 'muted' }, summary(event)));
    return h('li', { 'data-seq': event.seq, 'data-task': event.task_id }, button);
  };
  const describe = () => {
    const shown = feed.childElementCount;
    status.textContent = paused
      ? `Paused: ${missed} new event${missed === 1 ? '' : 's'} waiting.`
      : `${shown} event${shown === 1 ? '' : 's'} shown${shown ? '; select one for its JSON' : ' — waiting for events'}.`;
  };
  const redraw = () => {
    feed.replaceChildren(...history.filter(matches).slice(-SHOW).reverse().map(item));
    missed = 0;
    describe();
  };
  taskInput.addEventListener('input', redraw);
  typeInput.addEventListener('input', redraw);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) redraw(); else describe();
  });
  try {
    await loadRecent();
  } catch (error) {
    recent = null;
    view.append(problemBox(error));
  }
  redraw();

  const onEvent = ({ detail: event }) => {
    if (!matches(event)) return;
    if (paused) { missed++; describe(); return; }
    feed.prepend(item(event));
    while (feed.childElementCount > SHOW) feed.lastChild.remove();
    describe();
  };
  live.addEventListener('event', onEvent);
  return () => live.removeEventListener('event', onEvent);
}
