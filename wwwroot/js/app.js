// The dashboard: a hash router over the sections, the live feed, and GET /stats polled for the header and Hub.
import { askForCredentials, credentials } from './auth.js';
import { get } from './client.js';
import { h, problemBox } from './dom.js';
import { live } from './live.js';
import { renderTasks, renderTask } from './tasks.js';
import { renderEvents } from './events.js';
import { renderPublish } from './publish.js';
import { renderWebhooks, renderWebhook } from './webhooks.js';
import { renderDeadLetters } from './dead-letters.js';
import { renderHub } from './hub.js';

const STATS_EVERY_MS = 3000;

const view = document.getElementById('view');
const banner = document.getElementById('open-mode');
const liveState = document.getElementById('live-state');
const keyButton = document.getElementById('key-button');

/** The latest GET /stats, announced to whoever listens (the Hub section). */
const stats = new (class extends EventTarget { latest = null; })();

const routes = [
  [/^\/?$/, () => renderTasks(view, new URLSearchParams())],
  [/^\/tasks$/, (_, params) => renderTasks(view, params)],
  [/^\/tasks\/(.+)$/, ([id]) => renderTask(view, id)],
  [/^\/events$/, () => renderEvents(view)],
  [/^\/publish$/, () => renderPublish(view)],
  [/^\/webhooks$/, () => renderWebhooks(view)],
  [/^\/webhooks\/(.+)$/, ([id]) => renderWebhook(view, id)],
  [/^\/dead-letters$/, (_, params) => renderDeadLetters(view, params)],
  [/^\/hub$/, () => renderHub(view, stats)],
];

let cleanup = null;
let generation = 0;
let started = false;
let starting = false;

async function route() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const current = ++generation;
  cleanup?.();
  cleanup = null;
  for (const link of document.querySelectorAll('nav a')) {
    const section = link.getAttribute('href').slice(1);
    const active = path === section || path.startsWith(`${section}/`) || (section === '/tasks' && (path === '' || path === '/'));
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  const match = routes.map(([pattern, render]) => [pattern.exec(path), render]).find(([m]) => m);
  view.setAttribute('aria-busy', 'true');
  try {
    const dispose = match
      ? await match[1](match[0].slice(1).map(decodeURIComponent), params)
      : (view.replaceChildren(h('h1', { tabIndex: -1 }, 'Not found'), h('p', {}, h('a', { href: '#/tasks' }, 'Go to the tasks'))), undefined);
    if (current !== generation) dispose?.(); else cleanup = dispose ?? null;
  } catch (error) {
    if (current === generation) view.replaceChildren(problemBox(error));
  } finally {
    if (current === generation) view.removeAttribute('aria-busy');
  }
  // Move focus to the new section's heading so keyboard and screen-reader users land where the content is.
  if (current === generation && document.activeElement?.closest('nav')) view.querySelector('h1')?.focus();
}

async function pollStats() {
  try {
    const latest = await get('/stats');
    stats.latest = { stats: latest, at: new Date() };
    banner.hidden = !latest.open_mode;
    stats.dispatchEvent(new CustomEvent('stats', { detail: stats.latest }));
    live.catchUp(latest.head_seq);
    return latest;
  } catch {
    return null;
  } finally {
    setTimeout(pollStats, STATS_EVERY_MS);
  }
}

function showLiveState() {
  const labels = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' };
  liveState.textContent = labels[live.state] ?? live.state;
  liveState.dataset.state = live.state;
  liveState.title = live.problem || 'Live updates over EventSource (GET /events/sse)';
}

function showKeyButton() {
  keyButton.textContent = credentials.any ? 'Forget key' : 'Enter key';
}

keyButton.addEventListener('click', async () => {
  if (credentials.any) {
    credentials.forget();
    return;
  }
  try { await askForCredentials('Enter an API key (or a subscribe token) to use with this hub.', true); } catch { /* dismissed */ }
});
document.addEventListener('pushhub:credentials', async () => {
  showKeyButton();
  // A key given while the page starts is picked up by start() itself; one given after it gave up starts it again.
  if (!started) {
    if (!starting) start();
    return;
  }
  const latest = await get('/stats').catch(() => null);
  await live.restart(latest?.open_mode ?? false);
  route();
});
document.getElementById('key-cancel').addEventListener('click', () => document.getElementById('key-dialog').close());
live.addEventListener('state', showLiveState);
window.addEventListener('hashchange', route);

async function start() {
  starting = true;
  showKeyButton();
  showLiveState();
  // The first /stats asks for a key when the hub needs one, and says where the log stands: the feed starts there.
  let first;
  try {
    first = await get('/stats');
  } catch (error) {
    view.replaceChildren(problemBox(error), h('p', {}, h('button', { type: 'button', className: 'button', onclick: () => location.reload() }, 'Try again')));
    starting = false;
    return;
  }
  banner.hidden = !first.open_mode;
  stats.latest = { stats: first, at: new Date() };
  await live.start(first.head_seq, first.open_mode);
  setTimeout(pollStats, STATS_EVERY_MS);
  started = true;
  starting = false;
  await route();
}

start();
