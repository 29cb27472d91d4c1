// A small flamegraph (icicle: root on top) drawn with positioned <div>s — ECharts has no
// flamegraph type. Input is the API's flat pre-order node list ({name, parent, …}); names are
// written with textContent only. Click a frame to zoom into it (its ancestors stay on top,
// full width); search highlights matching frames.
const ROW = 18;
const MIN_WIDTH = 0.001; // of the zoomed frame's width: narrower frames are not drawn

/**
 * options.value(node) → width weight; options.color(node) → CSS colour;
 * options.title(node, fraction) → tooltip text; options.onZoom(node) after a zoom.
 */
export function createFlamegraph(container, options) {
  let nodes = [];
  let children = [];
  let zoomed = 0;
  let pattern = null;

  function setData(flat) {
    nodes = flat;
    children = flat.map(() => []);
    flat.forEach((n, i) => { if (n.parent >= 0) children[n.parent].push(i); });
    zoomed = 0;
    draw();
  }

  function ancestors(i) {
    const chain = [];
    for (let a = nodes[i].parent; a >= 0; a = nodes[a].parent) chain.unshift(a);
    return chain;
  }

  function frame(i, depth, left, width, total) {
    const n = nodes[i];
    const el = document.createElement('div');
    el.className = 'flame-node';
    el.dataset.index = String(i);
    el.style.top = `${depth * ROW}px`;
    el.style.left = `${left * 100}%`;
    el.style.width = `${width * 100}%`;
    el.style.background = options.color(n);
    el.textContent = n.name;
    el.title = options.title(n, total > 0 ? options.value(n) / total : 0);
    if (pattern && pattern.test(n.name)) el.classList.add('match');
    return el;
  }

  function draw() {
    container.replaceChildren();
    if (!nodes.length) return;
    const out = [];
    const chain = ancestors(zoomed);
    const rootTotal = options.value(nodes[0]);
    chain.forEach((a, depth) => {
      const el = frame(a, depth, 0, 1, rootTotal);
      el.classList.add('ancestor');
      out.push(el);
    });
    const base = chain.length;
    const zoomValue = options.value(nodes[zoomed]) || 1;
    let maxDepth = base;
    // iterative walk: (index, depth, left as a fraction of the zoomed frame)
    const stack = [[zoomed, base, 0]];
    while (stack.length) {
      const [i, depth, left] = stack.pop();
      const width = options.value(nodes[i]) / zoomValue;
      if (width < MIN_WIDTH) continue;
      out.push(frame(i, depth, left, width, rootTotal));
      maxDepth = Math.max(maxDepth, depth);
      let x = left;
      for (const c of children[i]) {
        stack.push([c, depth + 1, x]);
        x += options.value(nodes[c]) / zoomValue;
      }
    }
    container.style.height = `${(maxDepth + 1) * ROW}px`;
    container.append(...out);
  }

  container.addEventListener('click', (event) => {
    const el = event.target.closest('.flame-node');
    if (!el) return;
    zoom(Number(el.dataset.index));
  });

  function zoom(i) {
    zoomed = i;
    draw();
    if (options.onZoom) options.onZoom(nodes[i]);
  }

  /** Highlights frames whose name matches (a regex, or plain text if it is not one); returns their share. */
  function search(text) {
    pattern = null;
    if (text) {
      try {
        pattern = new RegExp(text, 'i');
      } catch (e) {
        pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      }
    }
    draw();
    if (!pattern || !nodes.length) return null;
    // sum the outermost matching frames, so nested matches are not counted twice
    let matched = 0;
    const stack = [[0, false]];
    while (stack.length) {
      const [i, inside] = stack.pop();
      const hit = !inside && pattern.test(nodes[i].name);
      if (hit) matched += options.value(nodes[i]);
      for (const c of children[i]) stack.push([c, inside || hit]);
    }
    return matched / (options.value(nodes[0]) || 1);
  }

  return { setData, zoom, search, zoomedName: () => (nodes.length ? nodes[zoomed].name : null) };
}

/** A stable warm colour per name, as flamegraph.pl does. */
export function warm(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  const r = 205 + (Math.abs(h) % 50);
  const g = 80 + (Math.abs(h >> 8) % 130);
  const b = 40 + (Math.abs(h >> 16) % 40);
  return `rgb(${r},${g},${b})`;
}
