// Hub: connections per transport, subscribers, the publish rate over the last minutes, webhook backlog and
// dead-letter depth, from GET /stats (polled by app.js).
import { h, heading, table } from './dom.js';
import { rateChart } from './chart.js';

export function renderHub(view, stats) {
  const body = h('div', {});
  const updated = h('p', { className: 'muted', role: 'status' });
  view.replaceChildren(heading('Hub'), updated, body);
  const draw = ({ detail }) => {
    if (!detail) return;
    const { stats: s, at } = detail;
    updated.textContent = `Updated ${at.toLocaleTimeString()}; refreshes every few seconds.`;
    const connections = s.connections ?? {};
    const card = (label, value, extra) => h('div', { className: 'stat card' }, h('div', { className: 'stat-value' }, String(value)), h('div', { className: 'stat-label' }, label), extra);
    body.replaceChildren(
      h('h2', {}, 'Connections'),
      h('div', { className: 'stats' },
        card('SSE', connections.sse ?? 0), card('WebSocket', connections.websocket ?? 0), card('SignalR', connections.signalr ?? 0),
        card('Subscribers', s.subscribers)),
      h('h2', {}, 'Events per second'),
      h('div', { className: 'card chart-card' }, rateChart(s.events_per_second ?? [], body.clientWidth - 34)),
      h('h2', {}, 'Log and webhooks'),
      h('div', { className: 'stats' },
        card('Head seq', s.head_seq), card('Oldest stored seq', s.first_seq),
        card('Enabled webhooks', s.webhooks), card('Pending deliveries', s.pending_deliveries),
        card('Dead letters', s.dead_letters, s.dead_letters > 0 ? h('a', { href: '#/dead-letters' }, 'Inspect') : null)),
      h('h2', {}, 'Subscribers by task'),
      Object.keys(s.subscribers_by_task ?? {}).length === 0
        ? h('p', { className: 'empty' }, 'Nobody is following a single task right now.')
        : table('Subscribers by task', ['Task', 'Subscribers'], Object.entries(s.subscribers_by_task).map(([task, count]) =>
          h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/tasks/${encodeURIComponent(task)}` }, task)), h('td', { className: 'num' }, String(count))))));
  };
  draw({ detail: stats.latest });
  stats.addEventListener('stats', draw);
  return () => stats.removeEventListener('stats', draw);
}
