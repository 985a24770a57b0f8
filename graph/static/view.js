/* trialgraph view: draws the network embedded in #tg-data with vis-network and wires the legend,
   the filters, the colours, the clusters, the search box, the tooltips, the Insights panel and
   the side panel.

   Every piece of registry text reaches the page through textContent or a <option>'s text, never
   through innerHTML: names and titles are data, not markup.  The only link the page makes is a
   trial's registry page, and only when that address starts with https://.

   Node ids: the nodes of the network are 0 .. N-1 (indexes into data.info); cluster k of an
   aggregated view is N + k.  Edge ids: the links of the network are 0 .. E-1 (links[id]);
   the links drawn between clusters are strings ("a" + ends). */
(function () {
  "use strict";

  /* milestones for bench/bench_view.py: [name, ms since navigation] */
  var timings = window.__tgTimings = [["script", performance.now()]];
  var data = JSON.parse(document.getElementById("tg-data").textContent);
  timings.push(["data parsed", performance.now()]);
  var info = data.info;
  var N = info.length;
  /* links arrive as [from, to, relation, role?]; their style comes from the relation */
  var links = data.edges.map(function (e, k) {
    var r = data.relations[e[2]];
    var link = { id: k, from: e[0], to: e[1], rel: e[2], color: r.color, width: r.width };
    if (r.dashed) link.dashes = true;
    if (e.length > 3) link.role = e[3];
    return link;
  });
  var byId = function (id) { return document.getElementById(id); };
  var NONE = "(none)";

  /* -- clusters (aggregated views only) ------------------------------------------------------ */
  var clusters = data.clusters || [];
  var clusterOf = new Int32Array(N).fill(-1);
  clusters.forEach(function (c, k) { c.members.forEach(function (i) { clusterOf[i] = k; }); });
  var opened = new Uint8Array(clusters.length);
  function present(i) { return i >= N ? !opened[i - N] : clusterOf[i] < 0 || opened[clusterOf[i]] === 1; }
  function rep(i) { return present(i) ? i : N + clusterOf[i]; }

  /* -- state -------------------------------------------------------------------------------- */
  var shownKinds = {};
  data.kinds.forEach(function (k) { shownKinds[k.key] = true; });
  var shownStatus = {};
  data.statuses.forEach(function (s) { shownStatus[s[0]] = true; });
  var shownPhase = {};
  data.phases.forEach(function (p) { shownPhase[p[0]] = true; });
  var countryTrials = null;   // null: no country filter, else {trialId: true}
  var conditionTrials = null;
  var visible = new Uint8Array(N + clusters.length);
  var highlighted = null;     // {faded: [ids]} while a neighbourhood is highlighted
  var colourBy = "kind";
  var searchState = { text: "", matches: [], next: 0 };

  /* -- neighbours, once ------------------------------------------------------------------------ */
  var adjacency = info.map(function () { return []; });
  links.forEach(function (e) {
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
    var passes = new Uint8Array(N);
    var i;
    for (i = 0; i < N; i++) {
      if (info[i].kind === "trial") passes[i] = active ? (trialPasses(i) ? 1 : 0) : 1;
    }
    for (i = N; i < visible.length; i++) visible[i] = 0;
    for (i = 0; i < N; i++) {
      var d = info[i];
      if (!shownKinds[d.kind]) { visible[i] = 0; continue; }
      if (d.kind === "trial") visible[i] = passes[i];
      else visible[i] = !active || d.trials.some(function (t) { return passes[t]; }) ? 1 : 0;
      if (visible[i] && clusterOf[i] >= 0) visible[N + clusterOf[i]] = 1;  // a cluster shows while a member does
    }
  }

  function trialsOf(select) {
    var chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected; });
    if (!chosen.length) return null;
    var out = {};
    chosen.forEach(function (o) { info[Number(o.value)].trials.forEach(function (t) { out[t] = true; }); });
    return out;
  }

  /* -- colours -------------------------------------------------------------------------------- */
  var OTHER_COMMUNITY = "#d3d7dc";
  var communityColour = {};
  data.communities.forEach(function (c) { communityColour[c.number] = c.color; });
  function plainColour(fill, border) {
    return { background: fill, border: border, highlight: { background: fill, border: "#111111" },
             hover: { background: fill, border: "#111111" } };
  }
  function nodeColour(id) {
    if (id >= N) return plainColour(clusters[id - N].color, "#37404d");
    if (colourBy === "community") {
      var fill = communityColour[info[id].community] || OTHER_COMMUNITY;
      return plainColour(fill, "#6b7280");
    }
    return data.options.groups[data.nodes[id].group].color;
  }
  function nodeFontColour(id) {
    if (id >= N) return "#1d2430";
    var group = data.options.groups[data.nodes[id].group];
    var font = data.nodes[id].font || group.font || {};
    return font.color || "#1d2430";
  }

  /* -- what vis-network draws ------------------------------------------------------------------ */
  function visNode(id) {
    if (id < N) {
      var n = data.nodes[id];
      if (isLandmark(id)) n = Object.assign({}, n, { font: landmarkFont(id) });
      return colourBy === "kind" ? n : Object.assign({}, n, { color: nodeColour(id) });
    }
    var c = clusters[id - N];
    return { id: id, label: c.label, shape: "dot", size: c.size, x: c.x, y: c.y, color: nodeColour(id),
             borderWidth: 2, font: landmarkFont(id) };
  }
  /* Cluster names (and, in an aggregated view, country names) keep one size on screen whatever
     the zoom: their font is set again after each zoom. */
  var landmarkScale = 1;
  function landmarkFont(id) {
    var pixels = id >= N ? 16 : 12;
    return { size: pixels / landmarkScale, color: "#1d2430", strokeWidth: 4 / landmarkScale, strokeColor: "#ffffff" };
  }
  function isLandmark(id) { return clusters.length > 0 && (id >= N || info[id].kind === "country"); }
  var landmarkPending = false;
  var landmarksApart = false;
  function updateLandmarks() {
    if (!clusters.length || landmarkPending) return;
    landmarkPending = true;
    window.requestAnimationFrame(function () {
      landmarkPending = false;
      landmarkScale = network.getScale();
      nodes.update(nodes.getIds().filter(isLandmark).map(function (id) { return { id: id, font: landmarkFont(id) }; }));
      if (!landmarksApart) {
        /* once, when the first picture has its names: nudge apart the clusters whose names overlap */
        landmarksApart = true;
        network.once("afterDrawing", function () {
          thinClusterLabels();  // the clusters themselves come packed apart from Python
          fitAll();
        });
      }
    });
  }
  function clusterLinks() {
    /* the links of the network with an end inside a closed cluster, gathered per pair of
       drawn ends (a cluster or a node) */
    var pairs = {};
    var out = [];
    links.forEach(function (e) {
      var u = rep(e.from), v = rep(e.to);
      if (u === v || (u === e.from && v === e.to)) return;
      var a = Math.min(u, v), b = Math.max(u, v);
      var key = a + "-" + b;
      if (!pairs[key]) {
        pairs[key] = { id: "a" + key, from: a, to: b, count: 0, color: "#9aa3ad",
                       arrows: { to: { enabled: false } } };
        out.push(pairs[key]);
      }
      pairs[key].count += 1;
    });
    out.forEach(function (e) { e.width = Math.min(8, 1 + Math.log2(e.count)); });
    return out;
  }
  function drawnNodes() {
    var out = [];
    for (var i = 0; i < N; i++) if (present(i)) out.push(visNode(i));
    for (var k = 0; k < clusters.length; k++) if (!opened[k]) out.push(visNode(N + k));
    return out;
  }
  function drawnEdges() {
    var out = links.filter(function (e) { return present(e.from) && present(e.to); });
    return clusters.length ? out.concat(clusterLinks()) : out;
  }

  /* -- the network ---------------------------------------------------------------------------- */
  var nodes = new vis.DataSet(clusters.length ? drawnNodes() : data.nodes);
  var edges = new vis.DataSet(clusters.length ? drawnEdges() : links);
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
    var most = 8 / network.getScale();  // the largest nudge: 8 pixels on screen
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
          var ox = Math.min(pa[0] + a[2], pb[0] + b[2]) - Math.max(pa[0] + a[0], pb[0] + b[0]) + 0.75 * most;
          var oy = Math.min(pa[1] + a[3], pb[1] + b[3]) - Math.max(pa[1] + a[1], pb[1] + b[1]) + 0.5 * most;
          if (ox <= 0 || oy <= 0) continue;
          moved = true;
          var axis = oy < ox ? 1 : 0;
          var push = Math.min(oy < ox ? oy : ox, most) / 2;  // small steps: nudge, do not scatter
          var dir = pa[axis] <= pb[axis] ? -1 : 1;
          pa[axis] += dir * push;
          pb[axis] -= dir * push;
        }
      }
      if (!moved) break;
    }
    ids.forEach(function (id, k) { network.moveNode(id, pos[k][0], pos[k][1]); });
  }

  /* At the first picture, a cluster keeps its label only if its label does not cover the label
     of a larger cluster (the largest first); the others keep their name in the tooltip. */
  function thinClusterLabels() {
    var kept = [];
    var bare = [];
    clusters.map(function (c, k) { return k; }).filter(function (k) { return clusters[k].label && !opened[k]; })
      .sort(function (a, b) { return clusters[b].trials - clusters[a].trials || a - b; })
      .forEach(function (k) {
        var size = network.body.nodes[N + k].labelModule.size;  // the label alone, in canvas units
        var box = { left: size.left, top: size.top, right: size.left + size.width, bottom: size.top + size.height };
        var clear = kept.every(function (o) {
          return box.right < o.left || box.left > o.right || box.bottom < o.top || box.top > o.bottom;
        });
        if (clear) kept.push(box);
        else { clusters[k].label = ""; bare.push({ id: N + k, label: "" }); }
      });
    if (bare.length) nodes.update(bare);
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
    fitAll();
  }
  function fitAll() {
    network.fit({ animation: false });
    /* cluster names reach beyond their nodes, which is all fit() knows of */
    if (clusters.length) network.moveTo({ scale: network.getScale() * 0.8, animation: false });
    updateLandmarks();
  }

  function applyFilters() {
    computeVisible();
    nodesView.refresh();
    edgesView.refresh();
    if (highlighted) clearHighlight();
    updateSummary();
  }

  function updateSummary() {
    var shown = 0, closed = 0;
    nodesView.getIds().forEach(function (id) { if (id >= N) closed += 1; else shown += 1; });
    var text = shown + " of " + N + " nodes";
    if (clusters.length) text += " and " + closed + " clusters drawn";
    else text += ", " + edgesView.length + " of " + links.length + " links";
    byId("tg-summary").textContent = text;
  }

  /* -- opening and closing clusters ------------------------------------------------------------ */
  function redraw() {
    if (highlighted) clearHighlight();
    var wantedNodes = drawnNodes();
    var keep = {};
    wantedNodes.forEach(function (n) { keep[n.id] = true; });
    nodes.remove(nodes.getIds().filter(function (id) { return !keep[id]; }));
    nodes.add(wantedNodes.filter(function (n) { return !nodes.get(n.id); }));
    edges.clear();
    edges.add(drawnEdges());
    updateSummary();
  }
  function openCluster(k) {
    if (opened[k]) return;
    opened[k] = 1;
    redraw();
  }
  function closeCluster(k) {
    if (!opened[k]) return;
    opened[k] = 0;
    hidePanel();
    redraw();
  }
  if (clusters.length) {
    byId("tg-clusters-section").hidden = false;
    byId("tg-clusters-note").textContent = "This network is large: it opens as " + clusters.length +
      " clusters, one per community of trials and organisations (a cluster is about as wide as its members spread once opened; " +
      "its label names its organisation with the most trials, and its number of trials). Only the largest clusters carry a label: " +
      "a cluster without one is a small community (its name shows when the pointer rests on it). " +
      "Click a cluster to open it. Sites are folded " +
      "into their " + (data.kinds.some(function (k) { return k.key === "city"; }) ? "city." : "country.");
    byId("tg-close-clusters").addEventListener("click", function () {
      opened.fill(0);
      hidePanel();
      redraw();
      fitAll();
    });
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

  function span(className, text) {
    var s = document.createElement("span");
    if (className) s.className = className;
    s.textContent = text;
    return s;
  }

  function checkItem(list, text, count, checked, onChange, decorate) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); });
    label.appendChild(box);
    if (decorate) label.appendChild(decorate);
    label.appendChild(span("", text));
    label.appendChild(span("tg-count", String(count)));
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
    box.closest("li").appendChild(span("tg-kind-size", k.size));
    boxes.push([box, shownKinds, k.key]);
  });
  byId("tg-size-note").textContent = data.sizeNote;
  data.relations.forEach(function (r) {
    if (!r.count) return;
    var li = document.createElement("li");
    var line = document.createElement("span");
    line.className = "tg-line" + (r.dashed ? " tg-dashed" : "");
    line.style.borderTopColor = r.color;
    li.appendChild(line);
    li.appendChild(span("", r.label));
    li.appendChild(span("tg-count", String(r.count)));
    byId("tg-relations").appendChild(li);
  });

  /* The status filter is one vocabulary: the API v2 statuses; then groups (the registers'
     coarser statuses, the wordings outside the vocabulary) whose entry ticks or unticks them all. */
  var statusGroups = {};
  data.statuses.forEach(function (s) { if (s[3]) (statusGroups[s[3]] = statusGroups[s[3]] || []).push(s[0]); });
  var statusBoxes = {};
  data.statuses.forEach(function (s) {
    var key = s[0], group = s[3];
    var box = checkItem(byId("tg-filter-status"), s[1], s[2], true, function (on) {
      if (statusGroups[key]) {
        statusGroups[key].forEach(function (k) { statusBoxes[k].checked = on; shownStatus[k] = on; });
      } else {
        shownStatus[key] = on;
        if (group) {
          statusBoxes[group].checked = statusGroups[group].some(function (k) { return statusBoxes[k].checked; });
        }
      }
      applyFilters();
    });
    box.dataset.status = key;
    statusBoxes[key] = box;
    if (group) box.closest("li").classList.add("tg-sub");
    boxes.push([box, shownStatus, key]);
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

  /* colour by kind or by community; the community key lists the largest communities */
  var communityList = byId("tg-communities");
  data.communities.forEach(function (c) {
    var li = document.createElement("li");
    var dot = span("tg-dot", "");
    dot.style.background = c.color;
    li.appendChild(dot);
    li.appendChild(span("", c.name));
    li.appendChild(span("tg-count", c.trials + " trials"));
    communityList.appendChild(li);
  });
  communityList.hidden = !clusters.length;
  if (data.communities.length) {
    var others = document.createElement("li");
    var grey = span("tg-dot", "");
    grey.style.background = OTHER_COMMUNITY;
    others.appendChild(grey);
    others.appendChild(span("", "smaller communities, and nodes with no trial"));
    communityList.appendChild(others);
  }
  function setColouring(mode) {
    if (highlighted) clearHighlight();
    colourBy = mode;
    communityList.hidden = mode !== "community" && !clusters.length;
    nodes.update(nodes.getIds().filter(function (id) { return id < N; }).map(function (id) {
      return { id: id, color: nodeColour(id) };
    }));
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[name=tg-colour]"), function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) setColouring(radio.value); });
  });

  /* -- tooltips: plain text in our own box ----------------------------------------------------- */
  var tooltip = byId("tg-tooltip");
  function clusterText(k) {
    var c = clusters[k];
    return [c.name, "cluster: " + trials(c.trials) + ", " + c.organizations +
            (c.organizations === 1 ? " organisation" : " organisations"),
            "click to open it"].join("\n");
  }
  function tooltipText(id) {
    if (id >= N) return clusterText(id - N);
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
  function endName(id) { return id >= N ? clusters[id - N].name + " (cluster)" : info[id].name; }
  network.on("hoverNode", function (p) { showTooltip(tooltipText(p.node), p.pointer.DOM); });
  network.on("blurNode", function () { tooltip.hidden = true; });
  network.on("hoverEdge", function (p) {
    var e = edges.get(p.edge);
    var rel = typeof e.id === "string" ? e.count + (e.count === 1 ? " link" : " links")
      : data.relations[e.rel].label + (e.role ? " (" + e.role + ")" : "");
    showTooltip(endName(e.from) + "\n" + rel + "\n" + endName(e.to), p.pointer.DOM);
  });
  network.on("blurEdge", function () { tooltip.hidden = true; });
  network.on("dragStart", function () { tooltip.hidden = true; });
  network.on("zoom", function () { tooltip.hidden = true; updateLandmarks(); });

  /* -- neighbourhood highlight ------------------------------------------------------------------ */
  var FADED = { background: "#e4e7eb", border: "#d3d7dc" };
  function highlight(id) {
    if (highlighted) clearHighlight();
    var keep = {};
    keep[id] = true;
    adjacency[id].forEach(function (a) { keep[rep(a[0])] = true; });
    var changes = [];
    nodesView.getIds().forEach(function (n) {
      if (!keep[n]) changes.push({ id: n, color: FADED, font: { color: "#b4bac2" } });
    });
    nodes.update(changes);
    highlighted = { faded: changes.map(function (c) { return c.id; }) };
  }
  function clearHighlight() {
    if (!highlighted) return;
    var restore = highlighted.faded.filter(function (n) { return nodes.get(n); }).map(function (n) {
      return { id: n, color: nodeColour(n), font: { color: nodeFontColour(n) } };
    });
    highlighted = null;
    nodes.update(restore);
  }

  /* -- the side panel and the Insights panel ------------------------------------------------- */
  var panel = byId("tg-panel");
  var insightsPanel = byId("tg-insights");
  var insightsToggle = byId("tg-insights-toggle");
  function showInsights(on) {
    insightsPanel.hidden = !on;
    insightsToggle.setAttribute("aria-expanded", on ? "true" : "false");
  }
  function nodeButton(id, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.dataset.node = String(id);
    b.addEventListener("click", function () { focusNode(id); });
    return b;
  }
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
    var inCluster = byId("tg-panel-cluster");
    inCluster.replaceChildren();
    if (clusterOf[id] >= 0) {
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close its cluster";
      close.addEventListener("click", function () { closeCluster(clusterOf[id]); });
      inCluster.appendChild(close);
    }
    var box = byId("tg-panel-neighbours");
    box.replaceChildren();
    var groups = {};
    var order = [];
    adjacency[id].forEach(function (a) {
      var e = links[a[1]];
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
        li.appendChild(nodeButton(n, info[n].name));
        ul.appendChild(li);
      });
      if (groups[rel].length > 200) {
        var more = document.createElement("li");
        more.textContent = "and " + (groups[rel].length - 200) + " more";
        ul.appendChild(more);
      }
      box.appendChild(ul);
    });
    showInsights(false);
    panel.hidden = false;
    panel.dataset.node = String(id);
  }
  function hidePanel() {
    panel.hidden = true;
    delete panel.dataset.node;
    showInsights(true);
  }
  byId("tg-panel-close").addEventListener("click", function () {
    hidePanel();
    clearHighlight();
    network.unselectAll();
  });
  insightsToggle.addEventListener("click", function () {
    if (!panel.hidden) { hidePanel(); return; }
    showInsights(insightsPanel.hidden);
  });

  function insightRow(list, parts, detail) {
    var li = document.createElement("li");
    parts.forEach(function (p, k) {
      if (k) li.appendChild(document.createTextNode(" and "));
      li.appendChild(nodeButton(p[0], p[1]));
    });
    li.appendChild(span("tg-insight-detail", detail));
    list.appendChild(li);
  }
  function insightList(id, rows, empty, toRow) {
    var list = byId(id);
    rows.forEach(function (r) { toRow(list, r); });
    if (!rows.length) {
      var li = document.createElement("li");
      li.className = "tg-empty";
      li.textContent = empty;
      list.appendChild(li);
    }
  }
  function trials(n) { return n + (n === 1 ? " trial" : " trials"); }
  insightList("tg-insights-sites", data.insights.sites, "no site recruits for two trials", function (list, r) {
    insightRow(list, [[r[0], r[1]]], (r[2] ? r[2] + " · " : "") + trials(r[3]));
  });
  insightList("tg-insights-partners", data.insights.partners, "no two organisations share a trial", function (list, r) {
    insightRow(list, [[r[0], r[1]], [r[2], r[3]]], trials(r[4]) + " together");
  });
  insightList("tg-insights-central", data.insights.central, "no organisation", function (list, r) {
    insightRow(list, [[r[0], r[1]]], trials(r[2]) + " · degree centrality " + r[3]);
  });

  function select(id) {
    network.selectNodes([id]);
    highlight(id);
    showPanel(id);
  }
  network.on("click", function (p) {
    tooltip.hidden = true;
    if (p.nodes.length && p.nodes[0] >= N) {
      var k = p.nodes[0] - N;
      openCluster(k);
      network.fit({ nodes: clusters[k].members.filter(function (i) { return visible[i]; }), animation: false });
      updateLandmarks();
    } else if (p.nodes.length) {
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
    if (clusterOf[id] >= 0) openCluster(clusterOf[id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1.2), animation: false });
    updateLandmarks();
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
    info: info, clusters: clusters, focusNode: focusNode, openCluster: openCluster
  };
})();
