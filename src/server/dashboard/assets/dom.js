// Small DOM and formatting helpers. Text always goes in as text nodes, never
// as HTML: test ids, messages and commit messages come from CI machines.

/** Creates an element: h('a', { href, class: 'x', onclick }, 'text', child). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) el.setAttribute(name, String(value));
  append(el, children);
  return el;
}

/** "850 ms", "12.3 s", "4 m 05 s", "1 h 02 m". */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** Seconds (a file's run time) as a duration. */
export function secs(seconds) {
  return seconds === null || seconds === undefined ? '—' : duration(seconds * 1000);
}

/** "just now", "5 min ago", "3 h ago", then the date. */
export function ago(at, now) {
  if (at === null || at === undefined) return '—';
  const s = Math.max(0, (now - at) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(at).toLocaleString();
}

export function clock(at) {
  return at === null || at === undefined ? '' : new Date(at).toLocaleString();
}

export function shortCommit(commit) {
  return typeof commit === 'string' ? commit.slice(0, 8) : '';
}

export function firstLine(text) {
  return typeof text === 'string' ? text.split('\n')[0] : '';
}

/** The author as the nodes sent it: a JSON object with a name or email, or a plain string. */
export function authorName(author) {
  if (typeof author === 'string') return author;
  if (author && typeof author === 'object') return author.name || author.email || '';
  return '';
}

/** "passed" / "failed" for a finished run, else its state. */
export function runBadge(run) {
  if (run.state !== 'finished') return run.state;
  return run.failed > 0 ? 'failed' : 'passed';
}

/** The page address of a run (with the key's position for the view token, which sees several keys). */
export function runHref(run) {
  const key = run.keyIndex === undefined ? '' : `?key=${run.keyIndex}`;
  return `#/runs/${encodeURIComponent(run.runKey)}/${encodeURIComponent(run.buildId)}${key}`;
}
