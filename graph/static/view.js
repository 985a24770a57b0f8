/* trialgraph view: draws the network embedded in #tg-data with vis-network and wires the legend,
   the filters, the search box, the tooltips and the side panel.

   Every piece of registry text reaches the page through textContent or a <option>'s text, never
   through innerHTML: names and titles are data, not markup.  The only link the page makes is a
   trial's registry page, and only when that address starts with https://. */
(function () {
  "use strict";

  /* milestones for bench/bench_view.py: [name, ms since navigation] */
  var timings = window.__tgTimings = [["script", performance.now()]];
  var data = JSON.parse(document.getElementById("tg-data").textContent);
  timings.push(["data parsed", performance.now()]);
  var info = data.info;
  var byId = function (id) { return document.getElementById(id); };
  var NONE = "(none)";

  /* -- state -------------------------------------------------------------------------------- */
  var shownKinds = {};
  data.kinds.forEach(function (k) { shownKinds[k.key] = true; });
  var shownStatus = {};
  data.statuses.forEach(function (s) { shownStatus[s[0]] = true; });
  var shownPhase = {};
  data.phases.forEach(function (p) { shownPhase[p[0]] = true; });
  var countryTrials = null;   // null: no country filter, else {trialId: true}
  var conditionTrials = null;
  var visible = new Uint8Array(info.length);
  var highlighted = null;     // {nodeId: true} while a neighbourhood is highlighted
  var searchState = { text: "", matches: [], next: 0 };

  /* -- neighbours, once ------------------------------------------------------------------------ */
  var adjacency = info.map(function () { return []; });
  data.edges.forEach(function (e) {
    adjacency[e.from].push([e.to, e.id, true]);
    adjacency[e.to].push([e.from, e.id, false]);
  });

  /* -- filters -------------------------------------------------------------------------------- */
  function trialFilterActive() {
    if (countryTrials || conditionTrials) return true;
    var key;
    for (key in shownStatus) if (!shownStatus[key]) return true;
    for (key in shownPhase) if (!shownPhase[key]) return true;
    return false;
  }

  function trialPasses(id) {
    var d = info[id];
    if (!shownStatus[d.status || NONE]) return false;
    var phases = d.phases.length ? d.phases : [NONE];
    if (!phases.some(function (p) { return shownPhase[p]; })) return false;
    if (countryTrials && !countryTrials[id]) return false;
    if (conditionTrials && !conditionTrials[id]) return false;
    return true;
  }

  function computeVisible() {
    var active = trialFilterActive();
    var passes = new Uint8Array(info.length);
    var i;
    for (i = 0; i < info.length; i++) {
      if (info[i].kind === "trial") passes[i] = active ? (trialPasses(i) ? 1 : 0) : 1;
    }
    for (i = 0; i < info.length; i++) {
      var d = info[i];
      if (!shownKinds[d.kind]) { visible[i] = 0; continue; }
      if (d.kind === "trial") { visible[i] = passes[i]; continue; }
      visible[i] = !active || d.trials.some(function (t) { return passes[t]; }) ? 1 : 0;
    }
  }

  function trialsOf(select) {
    var chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected; });
    if (!chosen.length) return null;
    var out = {};
    chosen.forEach(function (o) { info[Number(o.value)].trials.forEach(function (t) { out[t] = true; }); });
    return out;
  }

  /* -- the network ---------------------------------------------------------------------------- */
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  computeVisible();
  var nodesView = new vis.DataView(nodes, { filter: function (n) { return visible[n.id] === 1; } });
  var edgesView = new vis.DataView(edges, {
    filter: function (e) { return visible[e.from] === 1 && visible[e.to] === 1; }
  });
  var container = byId("tg-network");
  timings.push(["datasets built", performance.now()]);
  var network = new vis.Network(container, { nodes: nodesView, edges: edgesView }, data.options);
  timings.push(["network built", performance.now()]);

  /* The page is ready (window.__tgReady, which the tests and the benchmark wait for) once the
     laid-out network has been drawn: after stabilisation when physics runs, else at the first
     drawing, which vis-network schedules itself. */
  function markReady() {
    network.once("afterDrawing", function () {
      window.__tgReady = true;
      window.__tgReadyMs = performance.now();
    });
  }
  /* vis-network's physics keeps nodes apart but knows nothing of their labels: once it has
     stopped, nudge apart the nodes whose label boxes overlap (small networks only: it compares
     every pair). */
  function separateLabels() {
    var ids = nodesView.getIds();
    if (ids.length > 400) return;
    var body = network.body.nodes;
    // label boxes as offsets from their node, measured once (vis updates them only on drawing)
    var pos = ids.map(function (id) { return [body[id].x, body[id].y]; });
    var rel = ids.map(function (id, k) {
      var b = network.getBoundingBox(id);
      return [b.left - pos[k][0], b.top - pos[k][1], b.right - pos[k][0], b.bottom - pos[k][1]];
    });
    for (var round = 0; round < 40; round++) {
      var moved = false;
      for (var i = 0; i < ids.length; i++) {
        for (var j = i + 1; j < ids.length; j++) {
          var a = rel[i], b = rel[j], pa = pos[i], pb = pos[j];
          var ox = Math.min(pa[0] + a[2], pb[0] + b[2]) - Math.max(pa[0] + a[0], pb[0] + b[0]) + 6;
          var oy = Math.min(pa[1] + a[3], pb[1] + b[3]) - Math.max(pa[1] + a[1], pb[1] + b[1]) + 4;
          if (ox <= 0 || oy <= 0) continue;
          moved = true;
          var axis = oy < ox ? 1 : 0;
          var push = Math.min(oy < ox ? oy : ox, 8) / 2;  // small steps: nudge, do not scatter
          var dir = pa[axis] <= pb[axis] ? -1 : 1;
          pa[axis] += dir * push;
          pb[axis] -= dir * push;
        }
      }
      if (!moved) break;
    }
    ids.forEach(function (id, k) { network.moveNode(id, pos[k][0], pos[k][1]); });
  }

  if (data.physics) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: { enabled: false } });
      separateLabels();
      markReady();
      network.fit({ animation: false });
    });
  } else {
    markReady();
    network.fit({ animation: false });
  }

  function applyFilters() {
    computeVisible();
    nodesView.refresh();
    edgesView.refresh();
    if (highlighted) clearHighlight();
    updateSummary();
  }

  function updateSummary() {
    var shown = nodesView.length;
    var text = shown + " of " + info.length + " nodes, " + edgesView.length + " of " + data.edges.length + " links";
    byId("tg-summary").textContent = text;
  }

  /* -- legend and filter controls ------------------------------------------------------------- */
  function swatch(kind) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "-10 -10 20 20");
    svg.setAttribute("class", "tg-swatch");
    var shape = kind.shape;
    var el;
    if (shape === "dot") {
      el = document.createElementNS(ns, "circle");
      el.setAttribute("r", "7");
    } else {
      el = document.createElementNS(ns, "polygon");
      el.setAttribute("points", SHAPES[shape] || SHAPES.square);
    }
    el.setAttribute("fill", kind.color);
    el.setAttribute("stroke", kind.border);
    el.setAttribute("stroke-width", "1.5");
    svg.appendChild(el);
    return svg;
  }
  var SHAPES = {
    square: "-7,-7 7,-7 7,7 -7,7",
    diamond: "0,-9 9,0 0,9 -9,0",
    triangle: "0,-8 8,6 -8,6",
    triangleDown: "0,8 8,-6 -8,-6",
    star: "0,-9 2.6,-3.2 8.6,-2.8 4,1.2 5.3,7.3 0,4 -5.3,7.3 -4,1.2 -8.6,-2.8 -2.6,-3.2",
    hexagon: "0,-8 7,-4 7,4 0,8 -7,4 -7,-4"
  };

  function checkItem(list, text, count, checked, onChange, decorate) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); });
    label.appendChild(box);
    if (decorate) label.appendChild(decorate);
    var name = document.createElement("span");
    name.textContent = text;
    label.appendChild(name);
    var n = document.createElement("span");
    n.className = "tg-count";
    n.textContent = String(count);
    label.appendChild(n);
    li.appendChild(label);
    list.appendChild(li);
    return box;
  }

  var boxes = [];
  data.kinds.forEach(function (k) {
    var box = checkItem(byId("tg-legend"), k.label, k.count, true, function (on) {
      shownKinds[k.key] = on;
      applyFilters();
    }, swatch(k));
    box.dataset.kind = k.key;
    boxes.push([box, shownKinds, k.key]);
  });
  data.relations.forEach(function (r) {
    if (!r.count) return;
    var li = document.createElement("li");
    var line = document.createElement("span");
    line.className = "tg-line" + (r.dashed ? " tg-dashed" : "");
    line.style.borderTopColor = r.color;
    li.appendChild(line);
    var text = document.createElement("span");
    text.textContent = r.label;
    li.appendChild(text);
    var n = document.createElement("span");
    n.className = "tg-count";
    n.textContent = String(r.count);
    li.appendChild(n);
    byId("tg-relations").appendChild(li);
  });
  data.statuses.forEach(function (s) {
    var box = checkItem(byId("tg-filter-status"), s[1], s[2], true, function (on) {
      shownStatus[s[0]] = on;
      applyFilters();
    });
    box.dataset.status = s[0];
    boxes.push([box, shownStatus, s[0]]);
  });
  data.phases.forEach(function (p) {
    var box = checkItem(byId("tg-filter-phase"), p[1], p[2], true, function (on) {
      shownPhase[p[0]] = on;
      applyFilters();
    });
    box.dataset.phase = p[0];
    boxes.push([box, shownPhase, p[0]]);
  });

  function fillSelect(select, ids, onChange) {
    ids.forEach(function (id) {
      var o = document.createElement("option");
      o.value = String(id);
      o.text = info[id].name + " (" + info[id].trials.length + ")";
      select.appendChild(o);
    });
    select.addEventListener("change", onChange);
  }
  var countrySelect = byId("tg-filter-country");
  var conditionSelect = byId("tg-filter-condition");
  fillSelect(countrySelect, data.countries, function () {
    countryTrials = trialsOf(countrySelect);
    applyFilters();
  });
  fillSelect(conditionSelect, data.conditions, function () {
    conditionTrials = trialsOf(conditionSelect);
    applyFilters();
  });

  byId("tg-reset").addEventListener("click", function () {
    boxes.forEach(function (b) { b[0].checked = true; b[1][b[2]] = true; });
    [countrySelect, conditionSelect].forEach(function (s) {
      Array.prototype.forEach.call(s.options, function (o) { o.selected = false; });
    });
    countryTrials = conditionTrials = null;
    applyFilters();
  });

  /* -- tooltips: plain text in our own box ----------------------------------------------------- */
  var tooltip = byId("tg-tooltip");
  function tooltipText(id) {
    var d = info[id];
    var lines = [d.name, data.kindLabels[d.kind]];
    d.facts.slice(0, 7).forEach(function (f) { lines.push(f[0] + ": " + f[1]); });
    return lines.join("\n");
  }
  function showTooltip(text, pointer) {
    tooltip.textContent = text;
    tooltip.hidden = false;
    var box = container.getBoundingClientRect();
    var main = byId("tg-main").getBoundingClientRect();
    var x = pointer.x + box.left - main.left + 14;
    var y = pointer.y + box.top - main.top + 14;
    var maxX = main.width - tooltip.offsetWidth - 4;
    tooltip.style.left = Math.max(0, Math.min(x, maxX)) + "px";
    tooltip.style.top = Math.max(0, Math.min(y, main.height - tooltip.offsetHeight - 4)) + "px";
  }
  network.on("hoverNode", function (p) { showTooltip(tooltipText(p.node), p.pointer.DOM); });
  network.on("blurNode", function () { tooltip.hidden = true; });
  network.on("hoverEdge", function (p) {
    var e = edges.get(p.edge);
    var rel = data.relations[e.rel].label + (e.role ? " (" + e.role + ")" : "");
    showTooltip(info[e.from].name + "\n" + rel + "\n" + info[e.to].name, p.pointer.DOM);
  });
  network.on("blurEdge", function () { tooltip.hidden = true; });
  network.on("dragStart", function () { tooltip.hidden = true; });
  network.on("zoom", function () { tooltip.hidden = true; });

  /* -- neighbourhood highlight ------------------------------------------------------------------ */
  var FADED = { background: "#e4e7eb", border: "#d3d7dc" };
  function highlight(id) {
    if (highlighted) clearHighlight();
    var keep = {};
    keep[id] = true;
    adjacency[id].forEach(function (a) { keep[a[0]] = true; });
    var changes = [];
    nodesView.getIds().forEach(function (n) {
      if (!keep[n]) changes.push({ id: n, color: FADED, font: { color: "#b4bac2" } });
    });
    nodes.update(changes);
    highlighted = { faded: changes.map(function (c) { return c.id; }) };
  }
  function clearHighlight() {
    if (!highlighted) return;
    var restore = highlighted.faded.map(function (n) {
      var group = data.options.groups[data.nodes[n].group];
      var font = data.nodes[n].font || group.font || {};
      return { id: n, color: group.color, font: { color: font.color || "#1d2430" } };
    });
    highlighted = null;
    nodes.update(restore);
  }

  /* -- the side panel ------------------------------------------------------------------------- */
  var panel = byId("tg-panel");
  function showPanel(id) {
    var d = info[id];
    byId("tg-panel-kind").textContent = data.kindLabels[d.kind];
    byId("tg-panel-title").textContent = d.name;
    var dl = byId("tg-panel-facts");
    dl.replaceChildren();
    d.facts.forEach(function (f) {
      var dt = document.createElement("dt");
      dt.textContent = f[0];
      var dd = document.createElement("dd");
      dd.textContent = f[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    var link = byId("tg-panel-link");
    link.replaceChildren();
    if (typeof d.url === "string" && d.url.indexOf("https://") === 0) {
      var a = document.createElement("a");
      a.href = d.url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.textContent = "Registry page";
      a.id = "tg-registry-link";
      link.appendChild(a);
    }
    var box = byId("tg-panel-neighbours");
    box.replaceChildren();
    var groups = {};
    var order = [];
    adjacency[id].forEach(function (a) {
      var e = edges.get(a[1]);
      var rel = data.relations[e.rel].label + (e.role ? ": " + e.role : "") + (a[2] ? "" : " of");
      if (!groups[rel]) { groups[rel] = []; order.push(rel); }
      groups[rel].push(a[0]);
    });
    order.forEach(function (rel) {
      var h = document.createElement("h3");
      h.textContent = rel.charAt(0).toUpperCase() + rel.slice(1) + " (" + groups[rel].length + ")";
      box.appendChild(h);
      var ul = document.createElement("ul");
      groups[rel].slice(0, 200).forEach(function (n) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = info[n].name;
        b.addEventListener("click", function () { focusNode(n); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      if (groups[rel].length > 200) {
        var more = document.createElement("li");
        more.textContent = "and " + (groups[rel].length - 200) + " more";
        ul.appendChild(more);
      }
      box.appendChild(ul);
    });
    panel.hidden = false;
    panel.dataset.node = String(id);
  }
  function hidePanel() {
    panel.hidden = true;
    delete panel.dataset.node;
  }
  byId("tg-panel-close").addEventListener("click", function () {
    hidePanel();
    clearHighlight();
    network.unselectAll();
  });

  function select(id) {
    network.selectNodes([id]);
    highlight(id);
    showPanel(id);
  }
  network.on("click", function (p) {
    tooltip.hidden = true;
    if (p.nodes.length) {
      select(p.nodes[0]);
    } else {
      hidePanel();
      clearHighlight();
    }
  });

  /* -- search ----------------------------------------------------------------------------------- */
  var searchKeys = info.map(function (d) {
    return [d.name].concat(d.ids, d.aliases).map(function (s) { return String(s).toLowerCase(); });
  });
  function findMatches(text) {
    var q = text.trim().toLowerCase();
    if (!q) return [];
    var exact = [], prefix = [], partial = [];
    searchKeys.forEach(function (keys, id) {
      if (keys.indexOf(q) >= 0) exact.push(id);
      else if (keys.some(function (k) { return k.indexOf(q) === 0; })) prefix.push(id);
      else if (keys.some(function (k) { return k.indexOf(q) >= 0; })) partial.push(id);
    });
    return exact.concat(prefix, partial);
  }
  function focusNode(id) {
    var status = byId("tg-search-status");
    if (!visible[id]) {
      status.textContent = info[id].name + " is hidden by the filters";
      return false;
    }
    network.focus(id, { scale: Math.max(network.getScale(), 1.2), animation: false });
    select(id);
    return true;
  }
  byId("tg-search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = byId("tg-search-input").value;
    var status = byId("tg-search-status");
    if (text !== searchState.text) {
      searchState = { text: text, matches: findMatches(text), next: 0 };
    }
    var m = searchState.matches;
    if (!m.length) {
      status.textContent = "no match";
      return;
    }
    var id = m[searchState.next % m.length];
    searchState.next += 1;
    if (focusNode(id)) {
      status.textContent = m.length === 1 ? "1 match" : (((searchState.next - 1) % m.length) + 1) + " of " + m.length + " (Find again for the next)";
    }
  });

  updateSummary();
  timings.push(["controls built", performance.now()]);
  window.tgView = {
    network: network, nodes: nodes, edges: edges, nodesView: nodesView, edgesView: edgesView,
    info: info, focusNode: focusNode
  };
})();
