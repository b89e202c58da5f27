// The live matrix: fetch /api/matrix, render it, and refetch whenever the event stream says a
// journal event arrived. Plain JavaScript, no build step, no network beyond this server.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  // The token comes in the address's fragment (/#token=...), which the browser never sends; it
  // is kept for this tab only and taken out of the address bar. It goes in a header, never a URL.
  const frag = new URLSearchParams(location.hash.slice(1));
  if (frag.get("token")) {
    sessionStorage.setItem("mockdirector-token", frag.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = sessionStorage.getItem("mockdirector-token") || "";
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const $ = (id) => document.getElementById(id);
  const filters = { role: $("f-role"), port: $("f-port"), state: $("f-state") };
  for (const k of ["role", "port", "state"]) {
    if (params.get(k)) { filters[k].dataset.want = params.get(k); }
    filters[k].addEventListener("change", () => render(last));
  }
  // With a token, a download is fetched with the header and saved from memory.
  for (const a of ["dl-html", "dl-json", "dl-md", "dl-junit"]) {
    $(a).addEventListener("click", async (ev) => {
      if (!token) return;
      ev.preventDefault();
      const r = await fetch($(a).getAttribute("href"), { headers, cache: "no-store" });
      const name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
      const url = URL.createObjectURL(await r.blob());
      const tmp = document.createElement("a");
      tmp.href = url; tmp.download = name ? name[1] : "mockdirector-report";
      document.body.appendChild(tmp); tmp.click(); tmp.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
  }

  let last = null, prevStates = {}, timer = null, probeById = {};

  // The prober's results are read here, in the browser, and matched to rows by row id: the
  // server never stores them, so loading a file changes nothing for anyone else.
  $("probe-file").addEventListener("change", async (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    try {
      const doc = JSON.parse(await f.text());
      probeById = {};
      for (const r of doc.results || []) probeById[r.id] = r;
      const matched = (last ? last.rows : []).filter((r) => probeById[r.id]).length;
      $("probe-status").textContent = (doc.results || []).length + " results, " + matched + " beside rows";
    } catch (e) {
      $("probe-status").textContent = "not the prober's JSON: " + e.message;
    }
    render(last);
  });

  function text(v) { return v === undefined || v === null || v === "" ? "–" : String(v); }
  function td(content, cls) {
    const c = document.createElement("td");
    c.textContent = text(content);
    if (cls) c.className = cls;
    return c;
  }
  function when(t) { return t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }
  function clock(t) { return new Date(t).toISOString().substring(11, 19); }
  // The row's last-failure cell: what is failing now (history is not state), else the failures seen.
  function failureText(r) {
    let s = "";
    if (r.state === "failing now" && r.failing_since) {
      s = "failing now since " + clock(r.failing_since) + " (" + r.failing_now + (r.failing_now === 1 ? " failure" : " failures") + ", last: " + r.failing_reason + ")";
    } else if (r.failures) {
      s = r.failures + " failed: " + r.last_reason;
    }
    if (r.connect_only) s += (s ? "; " : "") + r.connect_only + " TCP connects without a ClientHello (not counted)";
    return s;
  }
  function slug(s) { return s.replace(/[^a-z]+/g, "-"); }
  function fillSelect(sel, values) {
    const cur = sel.value || sel.dataset.want || "";
    const have = new Set([...sel.options].map((o) => o.value));
    for (const v of values) {
      if (!have.has(String(v))) { const o = document.createElement("option"); o.value = o.textContent = String(v); sel.appendChild(o); }
    }
    sel.value = cur;
    if (sel.value === cur) delete sel.dataset.want;
  }

  function render(m) {
    if (!m) return;
    $("scenario").textContent = m.scenario;
    $("topology").textContent = m.topology;
    $("generated").textContent = "updated " + when(m.generated) + " · " + m.events + " events";
    const v = $("verdict");
    const s = m.summary;
    v.className = "verdict " + (m.ok ? "ok" : "bad");
    v.textContent = (m.ok ? "OK: " : "NOT OK: ") + s.seen_ok + " of " + m.rows.length + " rows seen ok, " +
      s.not_seen_yet + " not seen yet, " + s.seen_but_failed + " seen but handshake failed, " + (s.failing_now || 0) + " failing now, " +
      s.unexpected + " unexpected" + (s.connect_only ? "; " + s.connect_only + " TCP connects without a ClientHello (health monitors or scanners, shown apart)" : "");
    // A role held to the table with no event: its rows cannot be judged, whatever the counts say.
    const miss = $("missing");
    miss.replaceChildren();
    for (const r of m.missing || []) {
      const li = document.createElement("li");
      li.textContent = "no journal from " + r.role + " (" + ((r.members || []).join(", ") || "no member named in the topology") + "): its rows cannot be judged";
      miss.appendChild(li);
    }
    const rows = m.rows || [];
    fillSelect(filters.role, [...new Set(rows.flatMap((r) => [r.from, r.to]))].sort());
    fillSelect(filters.port, [...new Set(rows.map((r) => r.port))].sort((a, b) => a - b));
    const fRole = filters.role.value, fPort = filters.port.value, fState = filters.state.value;
    const keep = (r) => (!fRole || r.from === fRole || r.to === fRole) && (!fPort || String(r.port) === fPort);
    for (const r of rows) if (!r.probe && probeById[r.id]) { r.probe = probeById[r.id]; r.probe.local = true; }
    document.body.classList.toggle("has-probe", rows.some((r) => r.probe) || (m.probe_only || []).length > 0);
    const hist = $("history");
    hist.textContent = m.history_text || "";
    hist.className = "history" + (m.history && m.history.loading ? " loading" : m.history_text ? " bad" : "");
    if (m.history && m.history.loading && !timer) timer = setTimeout(refresh, 1000); // the count goes on without events
    if (s.probe_pass + s.probe_fail + s.probe_unproven + s.probe_skip > 0 || m.posted) {
      const b = s.board || {};
      v.textContent += " · both sides: " + (b.proven || 0) + " proven, " + (b.failing || 0) + " failing, " + (b.unproven || 0) + " unproven, " + (b.not_seen || 0) + " not seen";
    }
    const posted = (m.posted && m.posted.rows) || {};
    if (m.posted) $("probe-status").textContent = m.posted.results + " posted results from " + m.posted.hosts.join(", ");

    const tb = $("matrix").tBodies[0];
    tb.replaceChildren();
    for (const r of rows) {
      if (!keep(r) || (fState && r.state !== fState)) continue;
      const tr = document.createElement("tr");
      tr.className = slug(r.state);
      tr.dataset.row = r.id;
      tr.title = r.id + (r.note ? "\n" + r.note : "");
      const st = document.createElement("td");
      const b = document.createElement("span");
      b.className = "state";
      b.textContent = r.state;
      st.appendChild(b);
      tr.append(st, td(r.from), td(r.to), td(r.port, "num"), td(r.protocol), td(r.count, "num"),
        td((r.sources || []).join(", ") + (r.sources_more ? " (+" + r.sources_more + ")" : ""), "addr"),
        td((r.client_certs || []).join("; "), "cert"), td((r.members || []).join(", ")), td(when(r.last_seen)),
        td(failureText(r), r.state === "failing now" ? "now" : ""),
        probeCell(r.probes && r.probes.length ? r.probes : r.probe ? [r.probe] : [], posted[r.id] || [], r.probe),
        boardCell(r.board, r.probe));
      if (prevStates[r.id] !== undefined && prevStates[r.id] !== r.state + r.count) tr.classList.add("flash");
      prevStates[r.id] = r.state + r.count;
      tb.appendChild(tr);
    }
    if (!tb.rows.length) {
      const tr = document.createElement("tr");
      const c = td("no row matches the filter", "empty");
      c.colSpan = 13;
      tr.appendChild(c);
      tb.appendChild(tr);
    }

    // Probed rows the matrix does not hold (deny rows, other destinations), as the report lists them.
    const pb = $("probe-only").tBodies[0];
    pb.replaceChildren();
    for (const p of m.probe_only || []) {
      const tr = document.createElement("tr");
      tr.dataset.row = p.id;
      tr.append(td(p.id), probeCell([p], posted[p.id] || [], p));
      pb.appendChild(tr);
    }
    $("probe-only-count").textContent = "(" + (m.probe_only || []).length + ")";

    const ub = $("unexpected").tBodies[0];
    ub.replaceChildren();
    const un = (m.unexpected || []).filter((u) => (!fRole || u.to === fRole || (u.source_roles || []).includes(fRole)) && (!fPort || String(u.port) === fPort));
    $("unexp-count").textContent = "(" + (m.unexpected || []).length + ")";
    for (const u of un) {
      const tr = document.createElement("tr");
      tr.className = "unexpected";
      const st = document.createElement("td");
      const b = document.createElement("span");
      b.className = "state";
      b.textContent = u.kind;
      st.appendChild(b);
      let detail = "";
      if (u.kind === "unexpected source") detail = "allowed only from " + (u.allowed_from || []).join(", ");
      else if (u.kind === "unexpected: a denied path is open") detail = "a guard listener answered: the table denies this port";
      else detail = "no allow row for this port";
      if (u.denied) detail += "; the table denies it: " + u.denied;
      if (u.failures) detail += "; " + u.failures + " failed: " + u.last_reason;
      tr.append(st, td(u.source, "addr"), td((u.source_roles || []).join(", ") || "not in the topology"), td(u.to),
        td(u.port, "num"), td(u.count, "num"), td(when(u.last_seen)), td(detail));
      ub.appendChild(tr);
    }
    if (!ub.rows.length) {
      const tr = document.createElement("tr");
      const c = td("nothing unexpected", "empty");
      c.colSpan = 8;
      tr.appendChild(c);
      ub.appendChild(tr);
    }
    renderMonitors(m.monitors || { seen: [] });
  }

  // The prober's side of a row: every result the report's join put there (one per source
  // host), each with who sent it and when it was posted. The verdicts come from the matrix, so
  // the page says what the report says.
  function probeCell(results, posts, worst) {
    const c = document.createElement("td");
    c.className = "probe";
    if (!results.length) { c.textContent = "–"; return c; }
    c.dataset.verdict = worst ? worst.verdict : results[0].verdict;
    for (const p of results) {
      const d = document.createElement("div");
      d.className = "p v-" + p.verdict;
      const b = document.createElement("b");
      b.textContent = p.verdict;
      d.appendChild(b);
      d.append((p.observed ? " (" + p.observed + ")" : "") + (p.reason ? ": " + p.reason : ""));
      const post = posts.find((x) => (x.result.source || "") === (p.source || "") && x.result.verdict === p.verdict && x.result.reason === p.reason);
      const who = document.createElement("div");
      who.className = "small";
      if (post) who.textContent = "from " + post.host + " (" + post.role + ")" + (post.prober ? " on " + post.prober : "") + ", posted " + when(post.received);
      else if (p.local) who.textContent = "from the file loaded in this browser (not joined by the server)";
      else who.textContent = (p.source ? "from " + p.source + " " : "") + (p.file ? "· " + p.file : "");
      d.appendChild(who);
      c.appendChild(d);
    }
    return c;
  }
  // Both sides together: the report's combined verdict (report.boardOf), never the page's own.
  function boardCell(board, p) {
    const c = td(p && p.local ? "–" : board, "probe board");
    if (!(p && p.local)) c.dataset.board = board || "";
    return c;
  }

  // The HLB's health monitors seen from the destination (report/monitors.go).
  function renderMonitors(mon) {
    const seen = mon.seen || [];
    $("mon-count").textContent = "(" + seen.length + ")";
    const ul = $("monitor-findings");
    ul.replaceChildren();
    for (const f of mon.findings || []) {
      const li = document.createElement("li");
      li.className = "failing";
      li.textContent = f;
      ul.appendChild(li);
    }
    const mb = $("monitors").tBodies[0];
    mb.replaceChildren();
    for (const s of seen) {
      const tr = document.createElement("tr");
      tr.append(td(s.role + " " + s.member), td("tcp/" + s.port, "num"), td(s.source, "addr"), td(s.kind),
        td(s.interval_s.toFixed(1) + " s", "num"), td(s.count, "num"), td(when(s.last_seen)));
      mb.appendChild(tr);
    }
    if (!mb.rows.length) {
      const tr = document.createElement("tr");
      const c = td("no health monitor seen", "empty");
      c.colSpan = 7;
      tr.appendChild(c);
      mb.appendChild(tr);
    }
  }

  async function refresh() {
    timer = null;
    try {
      const r = await fetch("api/matrix", { headers, cache: "no-store" });
      if (!r.ok) throw new Error(r.status + " " + (await r.text()));
      last = await r.json();
      render(last);
    } catch (e) {
      $("verdict").className = "verdict bad";
      $("verdict").textContent = "cannot load the matrix: " + e.message;
    }
  }
  function soon() { if (!timer) timer = setTimeout(refresh, 250); }

  function logEvent(e) {
    const li = document.createElement("li");
    const who = e.remote || "?";
    let what = e.kind;
    if (e.http) what += " " + e.http.method + " " + e.http.path + " → " + e.http.status;
    if (e.sip) what += " " + e.sip.method + " → " + e.sip.status;
    li.textContent = when(e.time) + "  " + who + " → " + e.role + " " + e.listener + "  " + what + (e.outcome === "failed" ? "  FAILED: " + e.reason : "");
    if (e.outcome === "failed") li.className = "failed";
    const ol = $("events");
    ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > 100) ol.removeChild(ol.lastChild);
  }

  function logProbe(a) {
    const li = document.createElement("li");
    li.className = "posted";
    const v = Object.entries(a.verdicts || {}).map(([k, n]) => n + " " + k).join(", ");
    li.textContent = when(new Date().toISOString()) + "  probe results posted from " + (a.hosts || []).join(", ") + ": " + v;
    const ol = $("events");
    ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > 100) ol.removeChild(ol.lastChild);
  }

  fetch("api/info", { headers }).then((r) => r.json()).then((i) => { $("title").textContent = i.title || ""; }).catch(() => {});

  // The event stream: EventSource cannot send a header, so with a token the page first asks for
  // a short-lived stream token and puts that in the URL; on an error it reconnects with a new one.
  let es = null;
  async function connect() {
    let url = "api/events?replay=50";
    if (token) {
      try {
        const r = await fetch("api/stream-token", { method: "POST", headers, cache: "no-store" });
        url += "&stream_token=" + encodeURIComponent((await r.json()).stream_token);
      } catch (_) {
        $("conn").className = "conn off"; $("conn").textContent = "reconnecting…";
        setTimeout(connect, 3000);
        return;
      }
    }
    es = new EventSource(url);
    es.addEventListener("open", () => { $("conn").className = "conn on"; $("conn").textContent = "live"; $("events").replaceChildren(); soon(); });
    es.addEventListener("journal", (m) => { try { logEvent(JSON.parse(m.data)); } catch (_) {} soon(); });
    // Probe results posted to /api/probe: the matrix holds them joined to the rows.
    es.addEventListener("probe", (m) => { try { logProbe(JSON.parse(m.data)); } catch (_) {} soon(); });
    es.addEventListener("error", () => {
      $("conn").className = "conn off"; $("conn").textContent = "reconnecting…";
      if (token) { es.close(); setTimeout(connect, 3000); } // a new stream token each time
    });
  }
  refresh();
  connect();
})();
