// The task projection as the hub keeps it (src/PushHub/Storage/AppendCommands.cs), applied in the browser to live
// events so that a task's row moves without asking the hub again.

export const STATUSES = ['created', 'queued', 'running', 'completed', 'failed', 'cancelled', 'stuck'];

const STATUS_BY_TYPE = {
  'task.created': 'created',
  'task.queued': 'queued',
  'task.started': 'running',
  'task.progress': 'running',
  'task.heartbeat': 'running',
  'task.checkpoint': 'running',
  'task.completed': 'completed',
  'task.failed': 'failed',
  'task.cancelled': 'cancelled',
  'task.stuck': 'stuck',
};

/** The task after event; task may be undefined for a task's first event. */
export function applyEvent(task, event) {
  const data = event.data ?? {};
  let percent = typeof data.percent === 'number' ? data.percent : null;
  if (event.type === 'task.completed') percent = 100;
  const message = typeof data.message === 'string' ? data.message : null;
  const status = STATUS_BY_TYPE[event.type] ?? null;
  if (!task) {
    return {
      task_id: event.task_id, status: status ?? 'created', percent, message,
      created_at: event.timestamp, updated_at: event.timestamp, last_seq: event.seq, event_count: 1,
    };
  }
  if (event.seq <= task.last_seq) return task;
  return {
    ...task,
    status: status ?? task.status,
    percent: percent ?? task.percent,
    message: message ?? task.message,
    updated_at: event.timestamp,
    last_seq: event.seq,
    event_count: task.event_count + 1,
  };
}

/** What the event says, in a few words, for feeds and timelines. */
export function summary(event) {
  const data = event.data ?? {};
  const parts = [];
  if (typeof data.percent === 'number') parts.push(`${data.percent}%`);
  if (typeof data.message === 'string') parts.push(data.message);
  if (!parts.length) {
    const text = JSON.stringify(data);
    if (text !== '{}') parts.push(text.length > 120 ? `${text.slice(0, 117)}…` : text);
  }
  return parts.join(' · ');
}
