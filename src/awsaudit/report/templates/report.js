// awsaudit report: filters, search, paging and details over the embedded findings.
// Every value from the audited account reaches the page through textContent only.
(function () {
  "use strict";
  const PAGE = 100;
  const PRINT_LIMIT = 2000;
  const started = performance.now();
  const $ = (id) => document.getElementById(id);

  let data;
  try {
    data = JSON.parse($("awsaudit-data").textContent);
  } catch (err) {
    $("match-count").textContent = "The findings data of this report is damaged: " + err.message;
    throw err;
  }
  const checks = data.checks;
  const evidence = data.evidence;
  // Rows travel packed: their repeated strings (status, message, account, region, resource) and
  // placeholder values as indexes into shared tables, which keeps a 200-account report small.
  const S = data.strings, V = data.values, MARK = JSON.stringify(data.account_mark).slice(1, -1);
  // Evidence shared by accounts carries MARK where each row's own account id goes.
  const ownAccount = (json, r) => json.split(MARK).join(r[ACCOUNT]);
  const rows = data.findings.map((r) => [r[0], S[r[1]], S[r[2]], S[r[3]], S[r[4]], S[r[5]], r[6],
                                         r[7] < 0 ? 0 : V[r[7]], r[8]]);
  const C = 0, STATUS = 1, MESSAGE = 2, ACCOUNT = 3, REGION = 4, RESOURCE = 5, EVIDENCE = 6, VALUES = 7, MUTE = 8;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fill(text, values) {
    if (!text || !values) return text || "";
    for (const key of Object.keys(values)) text = text.split("{" + key + "}").join(values[key]);
    return text;
  }

  function unique(values) {
    return Array.from(new Set(values)).sort();
  }

  function addOptions(select, options) {
    for (const [value, label] of options) {
      const option = el("option", null, label);
      option.value = value;
      select.appendChild(option);
    }
  }

  // Controls: "framework|control" -> the set of check indexes it covers.
  const checkIndex = new Map(checks.map((c, i) => [c.id, i]));
  const controlChecks = new Map();
  for (const fw of data.frameworks) {
    for (const [controlId, ids] of Object.entries(fw.controls)) {
      const present = ids.filter((id) => checkIndex.has(id)).map((id) => checkIndex.get(id));
      if (present.length) controlChecks.set(fw.id + "|" + controlId, { label: fw.id + " " + controlId, checks: new Set(present) });
    }
  }

  addOptions($("f-area"), unique(checks.map((c) => c.area)).map((a) => [a, a]));
  const names = data.account_names || {};
  addOptions($("f-account"), unique(rows.map((r) => r[ACCOUNT])).map((a) => [a, names[a] ? a + " — " + names[a] : a]));
  addOptions($("f-region"), unique(rows.map((r) => r[REGION])).map((r) => [r, r]));
  addOptions($("f-control"), Array.from(controlChecks.entries()).map(([key, c]) => [key, c.label]));
  addOptions($("f-check"), checks.map((c, i) => [String(i), c.id + " — " + c.title]).sort((a, b) => a[1].localeCompare(b[1])));

  let haystack = null; // built on the first search: lower-cased text of every finding
  function searchText() {
    if (haystack) return haystack;
    const evidenceText = evidence.map((e) => JSON.stringify(e).toLowerCase());
    haystack = rows.map((r) => {
      const c = checks[r[C]];
      return [c.id, c.title, r[STATUS], r[MESSAGE], r[ACCOUNT], r[REGION], r[RESOURCE],
        r[MUTE] ? r[MUTE][0] : "", r[EVIDENCE] >= 0 ? ownAccount(evidenceText[r[EVIDENCE]], r) : ""].join("\n").toLowerCase();
    });
    return haystack;
  }

  function checkedValues(name) {
    return new Set(Array.from(document.querySelectorAll("input[name=" + name + "]:checked")).map((b) => b.value));
  }

  let matched = [];
  let page = 0;

  function currentFilter() {
    const control = controlChecks.get($("f-control").value);
    return {
      statuses: checkedValues("status"),
      severities: checkedValues("severity"),
      area: $("f-area").value,
      account: $("f-account").value,
      region: $("f-region").value,
      control: control ? control.checks : null,
      check: $("f-check").value === "" ? -1 : Number($("f-check").value),
      text: $("f-text").value.trim().toLowerCase(),
    };
  }

  let timer = 0;
  function apply() {
    clearTimeout(timer); // a pending search would re-render (and close what was just opened)
    const f = currentFilter();
    const terms = f.text ? f.text.split(/\s+/) : [];
    const texts = terms.length ? searchText() : null;
    matched = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const c = checks[r[C]];
      if (!f.statuses.has(r[STATUS]) || !f.severities.has(c.severity)) continue;
      if (f.area && c.area !== f.area) continue;
      if (f.account && r[ACCOUNT] !== f.account) continue;
      if (f.region && r[REGION] !== f.region) continue;
      if (f.check >= 0 && r[C] !== f.check) continue;
      if (f.control && !f.control.has(r[C])) continue;
      if (texts && !terms.every((t) => texts[i].includes(t))) continue;
      matched.push(i);
    }
    page = 0;
    render();
  }

  function shortName(arn) {
    const resource = arn.split(":").slice(5).join(":");
    return resource.split("/").pop() || arn;
  }

  function badge(text, className) {
    return el("span", "badge " + className, text);
  }

  function render() {
    const tbody = $("rows");
    tbody.textContent = "";
    const pages = Math.max(1, Math.ceil(matched.length / PAGE));
    page = Math.min(page, pages - 1);
    const start = page * PAGE;
    const end = Math.min(matched.length, start + PAGE);
    const fragment = document.createDocumentFragment();
    for (let k = start; k < end; k++) fragment.appendChild(row(matched[k]));
    tbody.appendChild(fragment);
    const count = $("match-count");
    count.dataset.count = String(matched.length);
    count.textContent = matched.length
      ? "Showing " + (start + 1).toLocaleString() + "–" + end.toLocaleString() + " of " + matched.length.toLocaleString() +
        " matching findings (" + rows.length.toLocaleString() + " in total)"
      : "No finding matches these filters (" + rows.length.toLocaleString() + " in total)";
    for (const id of ["page", "page2"]) $(id).textContent = "Page " + (page + 1) + " of " + pages;
    for (const id of ["prev", "prev2"]) $(id).disabled = page === 0;
    for (const id of ["next", "next2"]) $(id).disabled = page >= pages - 1;
  }

  function row(i) {
    const r = rows[i];
    const c = checks[r[C]];
    const tr = el("tr", "finding");
    tr.dataset.index = String(i);
    const toggle = el("button", "toggle", "▸");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-label", "Details");
    const first = el("td");
    first.appendChild(toggle);
    tr.appendChild(first);
    const status = el("td");
    status.appendChild(badge(r[STATUS], "s-" + r[STATUS]));
    tr.appendChild(status);
    const severity = el("td");
    severity.appendChild(badge(c.severity, c.severity));
    tr.appendChild(severity);
    const title = el("td", null, c.title);
    title.appendChild(el("div", "controls", c.id));
    tr.appendChild(title);
    const resource = el("td", "res");
    resource.appendChild(el("div", "name", shortName(r[RESOURCE])));
    resource.appendChild(el("div", "controls", r[RESOURCE]));
    tr.appendChild(resource);
    tr.appendChild(el("td", null, r[REGION]));
    tr.appendChild(el("td", null, r[ACCOUNT]));
    tr.appendChild(el("td", null, r[MESSAGE]));
    return tr;
  }

  function section(parent, heading, node) {
    parent.appendChild(el("h4", null, heading));
    parent.appendChild(node);
  }

  const PRINT_EVIDENCE = 3000; // characters of evidence per finding on paper

  function details(i, printing) {
    const r = rows[i];
    const c = checks[r[C]];
    const box = el("div", "details");
    const facts = [
      "Status: " + r[STATUS], "Severity: " + c.severity, "Objective: " + c.objective, "Area: " + c.area,
      "Account: " + r[ACCOUNT], "Region: " + r[REGION],
    ];
    box.appendChild(el("p", null, facts.join(" · ")));
    box.appendChild(el("p", "res", r[RESOURCE]));
    box.appendChild(el("p", null, r[MESSAGE]));
    const controls = Object.entries(c.controls).map(([fw, ids]) => fw + ": " + ids.join(", ")).join(" · ");
    if (controls) box.appendChild(el("p", "controls", "Controls — " + controls));
    if (r[MUTE]) {
      const [reason, owner, expires, was] = r[MUTE];
      box.appendChild(el("p", "MUTED", "Muted (was " + was + "): " + reason + " — owner: " + (owner || "none") +
        " — expires: " + (expires || "never")));
    }
    if (r[EVIDENCE] >= 0) {
      let text = ownAccount(JSON.stringify(evidence[r[EVIDENCE]], null, 2), r);
      if (printing && text.length > PRINT_EVIDENCE) {
        text = text.slice(0, PRINT_EVIDENCE) + "\n… (" + text.length.toLocaleString() + " characters; the rest is in findings.json)";
      }
      section(box, "Evidence", el("pre", null, text));
    }
    if (c.rationale) section(box, "Why it matters", el("p", null, c.rationale));
    const values = r[VALUES] || null;
    if (c.console.length) {
      const steps = el("ol");
      for (const step of c.console) steps.appendChild(el("li", null, fill(step, values)));
      section(box, "Remediation — console", steps);
    }
    if (c.cli) section(box, "Remediation — AWS CLI", el("pre", null, fill(c.cli, values)));
    if (c.terraform) section(box, "Remediation — Terraform", el("pre", null, fill(c.terraform, values)));
    return box;
  }

  function toggleDetails(tr) {
    const button = tr.querySelector("button.toggle");
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      button.textContent = "▸";
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const detail = el("tr", "detail");
    const cell = el("td");
    cell.colSpan = 8;
    cell.appendChild(details(Number(tr.dataset.index), false));
    detail.appendChild(cell);
    tr.after(detail);
    button.textContent = "▾";
    button.setAttribute("aria-expanded", "true");
  }

  function buildPrint() {
    const box = $("print-findings");
    box.textContent = "";
    const shown = matched.slice(0, PRINT_LIMIT);
    box.appendChild(el("h3", null, shown.length < matched.length
      ? "Findings: the first " + shown.length + " of " + matched.length + " matching the filters (narrow the filters to print others)"
      : "Findings: " + matched.length + " matching the filters"));
    for (const i of shown) {
      const r = rows[i];
      const item = el("div", "print-finding");
      item.appendChild(el("b", r[STATUS], r[STATUS] + " · " + checks[r[C]].severity + " · " + checks[r[C]].title));
      item.appendChild(details(i, true));
      box.appendChild(item);
    }
  }

  function setOnly(name, value) {
    for (const box of document.querySelectorAll("input[name=" + name + "]")) box.checked = value === null || box.value === value;
  }

  function resetFilters() {
    setOnly("severity", null);
    for (const box of document.querySelectorAll("input[name=status]")) box.checked = box.value !== "PASS";
    for (const id of ["f-area", "f-account", "f-region", "f-control", "f-check", "f-text"]) $(id).value = "";
  }

  function focusOn(target) {
    resetFilters();
    setOnly("status", target.dataset.status || null);
    if (target.dataset.check && checkIndex.has(target.dataset.check)) $("f-check").value = String(checkIndex.get(target.dataset.check));
    if (target.dataset.control) $("f-control").value = target.dataset.control;
    if (target.dataset.account) $("f-account").value = target.dataset.account;
    apply();
    $("findings").scrollIntoView();
  }

  $("filters").addEventListener("change", apply);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("f-text").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  $("f-reset").addEventListener("click", () => { resetFilters(); apply(); });
  $("print").addEventListener("click", () => { buildPrint(); window.print(); });
  window.addEventListener("beforeprint", buildPrint);
  for (const [prev, next] of [["prev", "next"], ["prev2", "next2"]]) {
    $(prev).addEventListener("click", () => { page -= 1; render(); });
    $(next).addEventListener("click", () => { page += 1; render(); });
  }
  $("rows").addEventListener("click", (event) => {
    const tr = event.target.closest("tr.finding");
    if (tr) toggleDetails(tr);
  });
  for (const target of document.querySelectorAll("tr.clickable")) target.addEventListener("click", () => focusOn(target));
  // The organization matrix: one listener per table; a cell's column names the account, its row the control.
  const LETTERS = { F: "FAIL", U: "UNKNOWN", M: "MANUAL", X: "MUTED", P: "PASS" };
  for (const table of document.querySelectorAll("table.matrix")) {
    table.addEventListener("click", (event) => {
      const td = event.target.closest("td");
      if (!td) return;
      const head = table.tHead.rows[0].cells[td.cellIndex];
      focusOn({ dataset: { control: td.parentElement.dataset.control, account: head.dataset.account,
                           status: LETTERS[td.textContent] } });
    });
  }

  apply();
  document.documentElement.dataset.ready = "1";
  // Timings for benchmarks/report_bench.py: since navigation start, and of this script alone.
  document.documentElement.dataset.readyMs = String(Math.round(performance.now()));
  document.documentElement.dataset.scriptMs = String(Math.round(performance.now() - started));
})();
