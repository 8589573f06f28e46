// Building the page without innerHTML: every piece of data goes in as text, so nothing a publisher sends can run.

const SVG = 'http://www.w3.org/2000/svg';

/** Props set as attributes: read-only or differently named as DOM properties. */
const ATTRIBUTES = new Set(['role', 'for', 'list']);

/** Creates an element: h('a', { href: '#/', className: 'x' }, 'text', child). Props are DOM properties, except
 *  keys holding a dash (aria-*, data-*) and those in ATTRIBUTES, which become attributes. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  return assign(node, props, children);
}

/** The same for SVG elements; every prop becomes an attribute. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...flatten(children));
  return node;
}

function assign(node, props, children) {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name.includes('-') || ATTRIBUTES.has(name)) node.setAttribute(name, value === true ? '' : String(value));
    else node[name] = value;
  }
  node.append(...flatten(children));
  return node;
}

function flatten(children) {
  return children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
}

/** A time as the browser's locale shows it, with seconds; the full ISO stamp goes in the title. */
export function time(iso) {
  if (!iso) return h('span', {}, '—');
  const date = new Date(iso);
  return h('time', { dateTime: iso, title: iso }, date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }));
}

/** JSON, indented, as text in a <pre>. */
export function json(value) {
  return h('pre', { className: 'json' }, JSON.stringify(value, null, 2));
}

/** A progress bar that assistive technology reads (role progressbar, aria-valuenow). */
export function progressBar(percent, label) {
  const bar = h('div', { className: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': label },
    h('div', { className: 'progress-fill' }));
  setProgress(bar, percent);
  return bar;
}

export function setProgress(bar, percent) {
  const known = typeof percent === 'number' && Number.isFinite(percent);
  const value = known ? Math.max(0, Math.min(100, percent)) : 0;
  if (known) {
    bar.setAttribute('aria-valuenow', String(value));
    bar.setAttribute('aria-valuetext', `${Math.round(value)}%`);
  } else {
    bar.removeAttribute('aria-valuenow');
    bar.setAttribute('aria-valuetext', 'no progress reported');
  }
  bar.firstChild.style.width = `${value}%`;
}

/** A status badge: the text says it, the colour only repeats it. */
export function badge(text, kind = text) {
  return h('span', { className: `badge badge-${kind}` }, text);
}

/** An alert box for a failed request: the problem's title, detail and each field's messages. */
export function problemBox(error) {
  const problem = error?.problem;
  const box = h('div', { className: 'notice notice-error', role: 'alert' },
    h('strong', {}, problem?.title ?? 'Request failed'),
    h('p', {}, problem?.detail ?? error?.message ?? String(error)));
  if (problem?.errors) {
    box.append(h('ul', { className: 'field-errors' }, Object.entries(problem.errors).map(([field, messages]) =>
      h('li', {}, h('code', {}, field), ': ', [].concat(messages).join('; ')))));
  }
  return box;
}

/** A table whose rows are built from items; it scrolls sideways on narrow screens rather than overflowing. */
export function table(caption, headings, rows) {
  return h('div', { className: 'table-wrap' },
    h('table', {},
      h('caption', { className: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headings.map((heading) => h('th', { scope: 'col' }, heading)))),
      h('tbody', {}, rows)));
}

/** A section heading with optional actions on the right. */
export function heading(title, ...actions) {
  return h('div', { className: 'view-head' }, h('h1', { tabIndex: -1 }, title), h('div', { className: 'actions' }, actions));
}
