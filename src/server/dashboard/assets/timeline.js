// The timeline: a row per node, a lane per file running side by side on it,
// a bar per file coloured by its result, files in hand growing until their
// result comes. Drawn on a canvas: a large run has tens of thousands of bars.

export const COLOURS = {
  passed: '#2da44e',
  failed: '#cf222e',
  pending: '#bf8700',
  retried: '#fb8f44',
  requeued: '#8c959f',
  released: '#afb8c1',
  running: '#54aeff',
};

const LABEL = 78;
const AXIS = 22;
const LANE = 13;
const GAP = 7;
const MAX_LANES = 24;
const STEPS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

/**
 * Bars by node and lane. With times (`model.timed`), bars sit where they ran.
 * Without (a run restored from a journal), each node's results are laid out
 * in the order they were recorded, by their run times, over its workers.
 */
export function layout(model, now) {
  const bars = model.timed ? timedBars(model, now) : orderedBars(model, now);
  const rows = [];
  for (const index of [...model.nodes.keys()].sort((a, b) => a - b)) {
    const mine = bars.filter(bar => bar.node === index).sort((a, b) => a.start - b.start);
    // A node runs as many files at once as it has workers. A result reaches the
    // server with the node's next request, a little after the file ended, so
    // estimated starts may overlap the file before: they share its lane.
    const most = Math.min(MAX_LANES, model.nodes.get(index)?.workers ?? MAX_LANES);
    const lanes = [];
    for (const bar of mine) {
      let lane = lanes.findIndex(end => end <= bar.start + 1);
      if (lane === -1) lane = lanes.length < most ? lanes.length : lanes.indexOf(Math.min(...lanes));
      lanes[lane] = Math.max(lanes[lane] ?? 0, bar.end);
      bar.lane = lane;
    }
    rows.push({ node: index, lanes: Math.max(1, lanes.length) });
  }
  const t0 = model.timed ? (model.startedAt ?? Math.min(now, ...bars.map(b => b.start))) : 0;
  const t1 = Math.max(t0 + 1000, ...bars.map(b => b.end), model.timed && model.state !== 'finished' ? now : 0);
  return { rows, bars, t0, t1 };
}

function timedBars(model, now) {
  return model.spans.map(span => ({
    id: span.id,
    node: span.node,
    start: model.startOf(span),
    end: span.to ?? now,
    kind: span.outcome ?? 'running',
  }));
}

function orderedBars(model, now) {
  const bars = [];
  const free = new Map();
  const laneFree = (node, workers) => {
    if (!free.has(node)) free.set(node, new Array(Math.max(1, Math.min(MAX_LANES, workers ?? 1))).fill(0));
    return free.get(node);
  };
  for (const [id, result] of model.results) {
    const lanes = laneFree(result.node, model.nodes.get(result.node)?.workers);
    const lane = lanes.indexOf(Math.min(...lanes));
    const start = lanes[lane];
    const end = start + Math.max(50, (result.runTime ?? 0.05) * 1000);
    lanes[lane] = end;
    bars.push({ id, node: result.node, start, end, kind: result.status });
  }
  // Files in hand come after, as long as they have been held (when known).
  for (const [id, node] of model.leased) {
    const lanes = laneFree(node, model.nodes.get(node)?.workers);
    const lane = lanes.indexOf(Math.min(...lanes));
    const held = model.open.get(id);
    const start = lanes[lane];
    const end = start + (held ? Math.max(50, now - held.from) : 500);
    lanes[lane] = end;
    bars.push({ id, node, start, end, kind: 'running' });
  }
  return bars;
}

function tickStep(span) {
  return (STEPS.find(step => span / 1000 / step <= 10) ?? STEPS[STEPS.length - 1]) * 1000;
}

function tickLabel(ms) {
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? String(Math.round(s % 60)).padStart(2, '0') : ''}`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

/** Draws `model` on `canvas`; returns the bars with their pixel boxes, for hit tests. */
export function draw(canvas, model, selected) {
  const now = model.now();
  const { rows, bars, t0, t1 } = layout(model, now);
  const width = canvas.clientWidth || canvas.parentElement.clientWidth || 800;
  let height = AXIS;
  const top = new Map();
  for (const row of rows) {
    top.set(row.node, height + GAP / 2);
    height += row.lanes * LANE + GAP;
  }
  height = Math.max(height, AXIS + LANE + GAP);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const plot = width - LABEL - 8;
  const x = t => LABEL + ((t - t0) / (t1 - t0)) * plot;

  // Axis and grid.
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  const step = tickStep(t1 - t0);
  for (let t = 0; t <= t1 - t0; t += step) {
    const px = Math.round(x(t0 + t)) + 0.5;
    g.strokeStyle = '#eaeef2';
    g.beginPath();
    g.moveTo(px, AXIS - 4);
    g.lineTo(px, height);
    g.stroke();
    g.fillStyle = '#59636e';
    g.textAlign = t === 0 ? 'left' : 'center';
    g.fillText(tickLabel(t), px, AXIS / 2);
  }

  // Rows.
  g.textAlign = 'left';
  rows.forEach((row, i) => {
    const y = top.get(row.node);
    if (i % 2 === 1) {
      g.fillStyle = '#f6f8fa';
      g.fillRect(0, y - GAP / 2, width, row.lanes * LANE + GAP);
    }
    g.fillStyle = '#1f2328';
    g.fillText(`node ${row.node}`, 6, y + (row.lanes * LANE) / 2);
  });

  const boxes = [];
  for (const bar of bars) {
    const y = top.get(bar.node);
    if (y === undefined) continue;
    const left = x(bar.start);
    const box = { bar, x: left, y: y + bar.lane * LANE + 1, w: Math.max(1.5, x(bar.end) - left - 0.5), h: LANE - 2 };
    g.fillStyle = COLOURS[bar.kind] ?? COLOURS.released;
    g.globalAlpha = bar.kind === 'running' ? 0.75 : 1;
    g.fillRect(box.x, box.y, box.w, box.h);
    g.globalAlpha = 1;
    if (bar.id === selected) {
      g.strokeStyle = '#1f2328';
      g.lineWidth = 2;
      g.strokeRect(box.x - 1, box.y - 1, box.w + 2, box.h + 2);
      g.lineWidth = 1;
    }
    boxes.push(box);
  }
  if (model.timed && model.state !== 'finished') {
    const px = Math.round(x(now)) + 0.5;
    g.strokeStyle = '#0969da';
    g.setLineDash([3, 3]);
    g.beginPath();
    g.moveTo(px, AXIS - 4);
    g.lineTo(px, height);
    g.stroke();
    g.setLineDash([]);
  }
  canvas.dataset.bars = String(bars.length);
  canvas.dataset.running = String(bars.filter(bar => bar.kind === 'running').length);
  canvas.dataset.mode = model.timed ? 'time' : 'order';
  return boxes;
}

/** The bar under a point of the canvas (CSS pixels). */
export function hit(boxes, px, py) {
  for (let i = boxes.length - 1; i >= 0; i -= 1) {
    const box = boxes[i];
    if (px >= box.x && px <= box.x + Math.max(box.w, 4) && py >= box.y && py <= box.y + box.h) return box.bar;
  }
  return undefined;
}
