// One EventSource for the whole page, on every task, from the seq the hub stood at when the page opened.
// EventSource only dispatches the event types it listens for, and any lowercase dotted name is a valid type, so
// the well-known types come over the stream and any seq skipped in between (a custom type) is fetched with
// GET /events. Every listener so sees each event once, in seq order.
import { credentials, looksLikeToken } from './auth.js';
import { get, post, withQuery } from './client.js';

export const WELL_KNOWN_TYPES = [
  'task.created', 'task.queued', 'task.started', 'task.progress', 'task.heartbeat', 'task.checkpoint',
  'task.completed', 'task.failed', 'task.cancelled', 'task.stuck',
];

const TOKEN_TTL_SECONDS = 3600;

export class LiveFeed extends EventTarget {
  #source = null;
  #lastSeq = 0;
  #chain = Promise.resolve();
  #openMode = false;
  #retryTimer = 0;
  #renewTimer = 0;
  state = 'connecting';
  problem = '';

  /** The seq the page started following after: events up to it were committed before the page opened. */
  startSeq = 0;

  get lastSeq() { return this.#lastSeq; }

  /** Starts following from headSeq (live only); openMode says whether the hub needs no token. */
  async start(headSeq, openMode) {
    this.#lastSeq = headSeq;
    this.startSeq = headSeq;
    this.#openMode = openMode;
    await this.#connect();
  }

  /** Reconnects with the current credentials (after the key changed). */
  async restart(openMode = this.#openMode) {
    this.#openMode = openMode;
    await this.#connect();
  }

  /** The hub's head moved past what the stream brought (a custom type at the end): fetch the rest. */
  catchUp(headSeq) {
    if (headSeq > this.#lastSeq) this.#enqueue(() => this.#fill(headSeq + 1));
  }

  async #connect() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#renewTimer);
    this.#source?.close();
    this.#source = null;
    let url = withQuery('/events/sse', { after: this.#lastSeq });
    try {
      const token = await this.#token();
      if (token) url = withQuery('/events/sse', { after: this.#lastSeq, access_token: token });
    } catch (error) {
      this.#setState('offline', error.message);
      return;
    }
    const source = new EventSource(url);
    this.#source = source;
    source.addEventListener('open', () => this.#setState('live', ''));
    source.addEventListener('error', () => {
      if (source !== this.#source) return;
      if (source.readyState === EventSource.CLOSED) {
        // Refused outright (an expired token, a key that may not read every task): try again with a fresh token.
        this.#setState('offline', 'The live stream was refused or lost; retrying.');
        this.#retryTimer = setTimeout(() => this.#connect(), 5000);
      } else {
        this.#setState('connecting', 'Reconnecting…');
      }
    });
    for (const type of WELL_KNOWN_TYPES) {
      source.addEventListener(type, (message) => this.#enqueue(() => this.#accept(JSON.parse(message.data))));
    }
    source.addEventListener('reset', (message) => this.#enqueue(() => {
      // Events before first_seq were removed by retention: nothing to fill there.
      const first = JSON.parse(message.data).first_seq;
      if (first - 1 > this.#lastSeq) this.#lastSeq = first - 1;
    }));
  }

  /** The subscribe token for ?access_token=, or '' when none is needed. */
  async #token() {
    if (this.#openMode) return '';
    const pasted = credentials.subscribeToken || (looksLikeToken(credentials.key) ? credentials.key : '');
    if (pasted) return pasted;
    if (!credentials.key) return '';
    try {
      const issued = await post('/tokens', { tasks: ['*'], ttl_seconds: TOKEN_TTL_SECONDS });
      // Renew a minute before it expires; the stream resumes from the last seq it delivered.
      const renewIn = Math.max(60_000, new Date(issued.expires_at).getTime() - Date.now() - 60_000);
      this.#renewTimer = setTimeout(() => this.#connect(), renewIn);
      return issued.token;
    } catch (error) {
      if (error.status === 403) {
        throw new Error('This key cannot issue subscribe tokens: paste a subscribe token for live updates.');
      }
      throw error;
    }
  }

  #enqueue(step) {
    this.#chain = this.#chain.then(step).catch((error) => this.#setState(this.state, error.message));
  }

  async #accept(event) {
    if (event.seq <= this.#lastSeq) return;
    if (event.seq > this.#lastSeq + 1) await this.#fill(event.seq);
    this.#emit(event);
  }

  /** Delivers every stored event after lastSeq and before until. */
  async #fill(until) {
    while (this.#lastSeq < until - 1) {
      const page = await get(withQuery('/events', { after: this.#lastSeq, limit: 1000 }));
      for (const event of page.events) {
        if (event.seq < until) this.#emit(event);
      }
      if (page.events.length < 1000 || page.last_seq >= until - 1) return;
    }
  }

  #emit(event) {
    if (event.seq <= this.#lastSeq) return;
    this.#lastSeq = event.seq;
    this.dispatchEvent(new CustomEvent('event', { detail: event }));
  }

  #setState(state, problem) {
    this.state = state;
    this.problem = problem;
    this.dispatchEvent(new CustomEvent('state'));
  }
}

export const live = new LiveFeed();
