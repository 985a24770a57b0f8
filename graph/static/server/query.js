// The query page: a plain textarea with line numbers, the named queries as examples, and the
// results as a table.  Data from the store is only ever written with textContent.
"use strict";

(function () {
  const ID_BASE = "https://w3id.org/trialgraph/id/";
  const editor = document.getElementById("editor");
  const gutter = document.getElementById("gutter");
  const examples = document.getElementById("examples");
  const description = document.getElementById("example-description");
  const paramsBox = document.getElementById("params");
  const runButton = document.getElementById("run");
  const status = document.getElementById("status");
  const errorBox = document.getElementById("error");
  const graphOutput = document.getElementById("graph-output");
  const table = document.getElementById("results");
  let catalogue = [];
  let selected = null;

  function updateGutter() {
    const lines = editor.value.split("\n").length;
    const numbers = [];
    for (let i = 1; i <= lines; i += 1) numbers.push(String(i));
    gutter.textContent = numbers.join("\n");
    gutter.scrollTop = editor.scrollTop;
  }

  function clearNode(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showParams(query) {
    clearNode(paramsBox);
    description.textContent = query ? query.description : "";
    if (!query) return;
    for (const param of query.params) {
      const label = document.createElement("label");
      const name = document.createElement("span");
      name.textContent = param.name;
      const input = document.createElement("input");
      input.name = param.name;
      input.id = "param-" + param.name;
      input.placeholder = param.description;
      input.title = param.description;
      label.appendChild(name);
      label.appendChild(input);
      paramsBox.appendChild(label);
    }
  }

  function loadCatalogue() {
    fetch("queries", { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((items) => {
        catalogue = items;
        for (const query of items) {
          const option = document.createElement("option");
          option.value = query.name;
          option.textContent = query.title + " (" + query.name + ")";
          examples.appendChild(option);
        }
        examples.dataset.loaded = "true";
      })
      .catch((err) => showError("could not load the named queries: " + err));
  }

  function choose() {
    selected = catalogue.find((q) => q.name === examples.value) || null;
    if (selected) editor.value = selected.text;
    showParams(selected);
    updateGutter();
  }

  function showError(text) {
    errorBox.hidden = false;
    errorBox.textContent = text;
  }

  function reset() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    graphOutput.hidden = true;
    graphOutput.textContent = "";
    table.hidden = true;
    clearNode(table.tHead);
    clearNode(table.tBodies[0]);
    status.textContent = "";
    status.className = "status";
  }

  function cellFor(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri" && term.value.startsWith(ID_BASE)) {
      const a = document.createElement("a");
      a.href = "id/" + term.value.slice(ID_BASE.length);
      a.textContent = term.value;
      td.appendChild(a);
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) td.title = "@" + term["xml:lang"];
      else if (term.datatype) td.title = term.datatype;
    }
    return td;
  }

  function showTable(data, truncated) {
    const vars = data.head.vars || [];
    const headRow = document.createElement("tr");
    for (const v of vars) {
      const th = document.createElement("th");
      th.textContent = v;
      headRow.appendChild(th);
    }
    table.tHead.appendChild(headRow);
    const body = table.tBodies[0];
    for (const binding of data.results.bindings) {
      const tr = document.createElement("tr");
      for (const v of vars) tr.appendChild(cellFor(binding[v]));
      body.appendChild(tr);
    }
    table.hidden = false;
    const n = data.results.bindings.length;
    status.textContent = n + (n === 1 ? " row" : " rows") + (truncated ? " (truncated: the server's row cap was reached)" : "");
    if (truncated) status.className = "status truncated";
  }

  function request() {
    const accept = "application/sparql-results+json, text/turtle;q=0.9";
    if (selected && editor.value === selected.text) {
      const params = new URLSearchParams();
      for (const input of paramsBox.querySelectorAll("input")) params.append(input.name, input.value);
      const path = selected.name.split("/").map(encodeURIComponent).join("/");
      const query = params.toString();
      return fetch("queries/" + path + (query ? "?" + query : ""), { headers: { Accept: accept } });
    }
    return fetch("sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", Accept: accept },
      body: editor.value,
    });
  }

  async function run() {
    reset();
    status.textContent = "running…";
    runButton.disabled = true;
    try {
      const response = await request();
      const truncated = response.headers.get("X-Trialgraph-Truncated") === "true";
      const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
      if (!response.ok) {
        status.textContent = "error " + response.status;
        showError(await response.text());
        return;
      }
      if (type === "application/sparql-results+json") {
        const data = await response.json();
        if (typeof data.boolean === "boolean") {
          status.textContent = "answer: " + data.boolean;
        } else {
          showTable(data, truncated);
        }
      } else {
        graphOutput.textContent = await response.text();
        graphOutput.hidden = false;
        status.textContent = "graph" + (truncated ? " (truncated: the server's row cap was reached)" : "");
      }
    } catch (err) {
      status.textContent = "error";
      showError(String(err));
    } finally {
      runButton.disabled = false;
    }
  }

  editor.addEventListener("input", updateGutter);
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  examples.addEventListener("change", choose);
  runButton.addEventListener("click", run);
  updateGutter();
  loadCatalogue();
})();
