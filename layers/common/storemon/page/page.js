/* The report page's script (storemon/page/render.py inlines it). No network, no HTML parsing:
   every value from the data reaches the page through textContent or an attribute value. The
   data's keys: storemon/page/data.py, PAGE_DATA_SCHEMA. */
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var stores = report.stores;
  var storeCount = stores.id.length;
  var incidents = report.incidents;
  var businessHours = report.business;
  var dayData = report.days;
  var closures = report.closures;
  var WEEK = 168 * 3600;
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];
  var SVGNS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function group(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  /* minutes as h:mm (the page's one way of writing a duration) */
  function hmm(minutes) {
    if (minutes === null || minutes === undefined) { return "—"; }
    var m = Math.round(minutes);
    var sign = m < 0 ? "−" : "";
    m = Math.abs(m);
    return sign + group(Math.floor(m / 60)) + ":" + pad(m % 60);
  }
  function hoursHmm(h) { return h === null ? "—" : hmm(h * 60); }
  function pct(p) { return p === null || p === undefined ? "—" : p.toFixed(1) + " %"; }
  /* seconds from the week start + a UTC offset in minutes -> a Date whose UTC fields are the
     local wall time */
  function wall(s, offsetMinutes) {
    return new Date((report.week_start_s + s + offsetMinutes * 60) * 1000);
  }
  function dayLabel(d) {
    return DAYS[d.getUTCDay()] + " " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
  }
  function clock(d) { return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
  function offsetLabel(minutes) {
    var sign = minutes < 0 ? "−" : "+";
    var m = Math.abs(minutes);
    return "UTC" + sign + Math.floor(m / 60) + (m % 60 ? ":" + pad(m % 60) : "");
  }
  function incidentCount(i) {
    return incidents ? incidents.ptr[i + 1] - incidents.ptr[i] : null;
  }

  // ------------------------------------------------------------------ down now
  var DOWN_NOW_SHOWN = 20;
  // the stores whose status is inactive now (an ongoing incident), longest down first
  function downNow() {
    var out = [];
    if (!incidents) { return out; }
    for (var i = 0; i < storeCount; i++) {
      for (var k = incidents.ptr[i]; k < incidents.ptr[i + 1]; k++) {
        if (incidents.g[k]) { out.push([i, k]); }
      }
    }
    out.sort(function (a, b) {
      return (incidents.s[a[1]] - incidents.s[b[1]]) || (a[0] - b[0]);
    });
    return out;
  }
  function renderDownNow() {
    var root = document.getElementById("down-now");
    var down = downNow();
    root.appendChild(el("h2", null, "Down now"));
    if (!down.length) {
      root.appendChild(el("p", { id: "down-now-count" }, incidents ?
        "No store is down now." : "Incidents are not part of this report."));
      return;
    }
    root.appendChild(el("p", { id: "down-now-count" }, group(down.length) + " store" +
      (down.length > 1 ? "s are" : " is") + " down now (an ongoing incident), longest first."));
    var table = root.appendChild(el("table", { id: "down-now-table" }));
    var head = table.appendChild(el("thead")).appendChild(el("tr"));
    ["Store", "Down since (local)", "For", "In business hours"].forEach(function (h) {
      head.appendChild(el("th", { scope: "col" }, h));
    });
    var body = table.appendChild(el("tbody"));
    down.slice(0, DOWN_NOW_SHOWN).forEach(function (pair) {
      var i = pair[0], k = pair[1];
      var tr = body.appendChild(el("tr", { "class": "down", "data-index": String(i) }));
      var cell = tr.appendChild(el("td", { "class": "id" }));
      cell.appendChild(el("button", { type: "button", "class": "find",
        title: "Show this store in the table below" }, stores.id[i]));
      var start = wall(incidents.s[k], incidents.o[k]);
      tr.appendChild(el("td", { "class": "since", title: offsetLabel(incidents.o[k]) },
        incidents.s[k] <= 0 ? "over a week" : dayLabel(start) + " " + clock(start)));
      tr.appendChild(el("td", { "class": "num for" },
        hmm((incidents.e[k] - incidents.s[k]) / 60) + (incidents.s[k] <= 0 ? "+" : "")));
      tr.appendChild(el("td", { "class": "num business" }, hmm(incidents.b[k])));
    });
    if (down.length > DOWN_NOW_SHOWN) {
      root.appendChild(el("p", { "class": "note" }, "… and " +
        group(down.length - DOWN_NOW_SHOWN) + " more in the table below."));
    }
    body.addEventListener("click", function (e) {
      var button = e.target.closest("button.find");
      if (!button) { return; }
      var search = document.getElementById("search");
      search.value = button.textContent;
      search.dispatchEvent(new Event("input"));
      document.getElementById("stores").scrollIntoView();
    });
  }

  // ------------------------------------------------------------------ fleet and quality
  function card(label, value, note, id) {
    var box = el("div", { "class": "card" });
    box.appendChild(el("div", { "class": "label" }, label));
    box.appendChild(el("div", { "class": "value", id: id }, value));
    if (note) { box.appendChild(el("div", { "class": "note" }, note)); }
    return box;
  }
  function renderFleet() {
    var fleet = report.fleet;
    var root = document.getElementById("fleet");
    root.appendChild(el("h2", null, "Fleet"));
    var grid = el("div", { "class": "cards" });
    grid.appendChild(card("Stores", group(fleet.stores), null, "fleet-stores"));
    grid.appendChild(card("Uptime, last week", pct(fleet.uptime_pct_week),
      "of business hours, all stores", "fleet-uptime-week"));
    grid.appendChild(card("Uptime, last day", pct(fleet.uptime_pct_day),
      "of business hours, all stores", "fleet-uptime-day"));
    if (fleet.uptime_pct_month !== undefined) {
      grid.appendChild(card("Uptime, last 30 days", pct(fleet.uptime_pct_month),
        "of business hours, all stores; " + hoursHmm(fleet.downtime_hours_month) + " h:mm down",
        "fleet-uptime-month"));
    }
    grid.appendChild(card("Stores with downtime", group(fleet.stores_down_week),
      "last week; " + group(fleet.stores_down_day) + " last day, " + group(fleet.stores_down_hour) +
      " last hour", "fleet-stores-down"));
    grid.appendChild(card("Downtime, last week", hoursHmm(fleet.downtime_hours_week),
      "h:mm, all stores together", "fleet-downtime-week"));
    root.appendChild(grid);
  }
  function renderQuality() {
    var quality = report.quality;
    var root = document.getElementById("quality");
    root.appendChild(el("h2", null, "Data quality"));
    if (!quality.files.length) {
      root.appendChild(el("p", { "class": "note", id: "no-files" },
        "The input files' row counts are in the report of every store."));
    }
    var table = el("table", { "class": "quality" });
    var head = el("tr");
    ["File", "Rows read", "Rows skipped", "Why"].forEach(function (h) {
      head.appendChild(el("th", { scope: "col" }, h));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    quality.files.forEach(function (f) {
      var tr = body.appendChild(el("tr"));
      tr.appendChild(el("td", { "class": "file" }, f.file));
      tr.appendChild(el("td", { "class": "num" }, group(f.rows_read)));
      tr.appendChild(el("td", { "class": "num skipped" }, group(f.rows_skipped)));
      var why = Object.keys(f.reasons).map(function (k) { return k + ": " + group(f.reasons[k]); });
      tr.appendChild(el("td", null, why.length ? why.join(", ") : "—"));
    });
    root.appendChild(table);
    var list = root.appendChild(el("ul", { "class": "defaults" }));
    list.appendChild(el("li", { id: "default-24x7" }, group(quality.default_24x7) +
      " stores have no business hours in the data: counted as open 24/7."));
    list.appendChild(el("li", { id: "default-zone" },
      group(quality.zone_missing + quality.zone_invalid) + " stores use " + quality.default_zone +
      " (" + group(quality.zone_missing) + " without a zone, " + group(quality.zone_invalid) +
      " with an unknown one)."));
    root.appendChild(el("p", { "class": "note" }, "Report computed in " +
      report.fleet.duration_seconds + " s. Times in the store table are h:mm; the hour window in " +
      "minutes as 0:mm."));
  }

  // ------------------------------------------------------------------ the store table
  var COLUMNS = [
    { key: "rank", label: "#", title: "rank by week downtime", first: 1 },
    { key: "id", label: "Store", first: 1 },
    { key: "pw", label: "Week uptime", first: 1 },
    { key: "dw", label: "Week down", unit: "h:mm", first: -1 },
    { key: "pd", label: "Day uptime", first: 1, wide: true },
    { key: "dd", label: "Day down", unit: "h:mm", first: -1, wide: true },
    { key: "ph", label: "Hour uptime", first: 1, wide: true },
    { key: "dh", label: "Hour down", unit: "h:mm", first: -1, wide: true },
    { key: "inc", label: "Incidents", first: -1, wide: true }
  ];
  if (stores.pm) { COLUMNS.push({ key: "pm", label: "Month uptime", first: 1 }); }
  var rank = new Array(storeCount);
  var ranking = [];
  var state = { sortKey: "rank", dir: 1, query: "", page: 0, size: 50, rows: [], open: {} };

  function value(key, i) {
    if (key === "rank") { return rank[i]; }
    if (key === "inc") { return incidentCount(i); }
    return stores[key][i];
  }
  function buildRanking() {
    ranking = [];
    for (var i = 0; i < storeCount; i++) { ranking.push(i); }
    ranking.sort(function (a, b) { return (stores.dw[b] - stores.dw[a]) || (a - b); });
    ranking.forEach(function (store, position) { rank[store] = position + 1; });
  }
  function compare(key, dir) {
    if (key === "id") {
      return function (a, b) { return dir * (a < b ? -1 : a > b ? 1 : 0); };
    }
    return function (a, b) {
      var x = value(key, a);
      var y = value(key, b);
      if (x === null && y === null) { return rank[a] - rank[b]; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return dir * (x - y) || rank[a] - rank[b];
    };
  }
  function refresh() {
    var q = state.query.trim().toLowerCase();
    var rows = ranking.slice();
    if (state.sortKey !== "rank" || state.dir !== 1) {
      rows.sort(compare(state.sortKey, state.dir));
    }
    if (q) {
      rows = rows.filter(function (i) { return stores.id[i].toLowerCase().indexOf(q) >= 0; });
    }
    state.rows = rows;
    var pages = Math.max(1, Math.ceil(rows.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    renderRows();
  }

  function renderStoresSection() {
    var root = document.getElementById("stores");
    root.appendChild(el("h2", null, "Stores, most downtime first"));
    var bar = root.appendChild(el("div", { "class": "controls" }));
    var label = bar.appendChild(el("label", { "for": "search" }, "Find a store "));
    label.appendChild(el("input", { id: "search", type: "search", placeholder: "store id",
      autocomplete: "off", spellcheck: "false" }));
    bar.appendChild(el("span", { id: "match-count", role: "status" }));
    var wrap = root.appendChild(el("div", { "class": "table-wrap" }));
    var table = wrap.appendChild(el("table", { id: "store-table", "class": "stores" }));
    var head = table.appendChild(el("thead")).appendChild(el("tr"));
    COLUMNS.forEach(function (c) {
      var th = head.appendChild(el("th", { scope: "col", "data-key": c.key,
        "class": (c.wide ? "wide " : "") + (c.key === "id" ? "text" : "num") }));
      var button = th.appendChild(el("button", { type: "button", "class": "sort",
        title: "sort by " + (c.title || c.label.toLowerCase()) }, c.label));
      if (c.unit) { button.appendChild(el("span", { "class": "unit" }, c.unit)); }
    });
    table.appendChild(el("tbody", { id: "store-rows" }));
    var pager = root.appendChild(el("div", { "class": "pager" }));
    pager.appendChild(el("button", { type: "button", id: "prev" }, "‹ Previous"));
    pager.appendChild(el("span", { id: "page-info" }));
    pager.appendChild(el("button", { type: "button", id: "next" }, "Next ›"));
    var sizeLabel = pager.appendChild(el("label", { "for": "page-size" }, "rows "));
    var select = sizeLabel.appendChild(el("select", { id: "page-size" }));
    [25, 50, 100, 250].forEach(function (n) {
      var option = select.appendChild(el("option", { value: String(n) }, String(n)));
      if (n === state.size) { option.selected = true; }
    });
    wireControls(table);
  }

  function wireControls(table) {
    document.getElementById("search").addEventListener("input", function (e) {
      state.query = e.target.value;
      state.page = 0;
      refresh();
    });
    table.querySelector("thead").addEventListener("click", function (e) {
      var th = e.target.closest("th");
      if (!th) { return; }
      var key = th.getAttribute("data-key");
      var column = COLUMNS.filter(function (c) { return c.key === key; })[0];
      state.dir = state.sortKey === key ? -state.dir : column.first;
      state.sortKey = key;
      state.page = 0;
      refresh();
    });
    document.getElementById("store-rows").addEventListener("click", function (e) {
      var tr = e.target.closest("tr.store");
      if (tr) { toggle(Number(tr.getAttribute("data-index"))); }
    });
    document.getElementById("prev").addEventListener("click", function () {
      state.page = Math.max(0, state.page - 1);
      renderRows();
    });
    document.getElementById("next").addEventListener("click", function () {
      state.page = Math.min(Math.ceil(state.rows.length / state.size) - 1, state.page + 1);
      renderRows();
    });
    document.getElementById("page-size").addEventListener("change", function (e) {
      state.size = Number(e.target.value);
      state.page = 0;
      renderRows();
    });
  }

  function cellText(key, i) {
    var v = value(key, i);
    if (key === "id" || key === "rank" || key === "inc") { return v === null ? "—" : String(v); }
    if (key === "dh") { return hmm(v); }
    if (key.charAt(0) === "d") { return hoursHmm(v); }
    return pct(v);
  }

  function storeRow(i) {
    var tr = el("tr", { "class": "store" + (stores.dw[i] > 0 ? " down" : ""),
      "data-index": String(i) });
    COLUMNS.forEach(function (c) {
      var td = el("td", { "class": (c.wide ? "wide " : "") + (c.key === "id" ? "id" : "num") });
      if (c.key === "id") {
        td.appendChild(el("button", { type: "button", "class": "open",
          "aria-expanded": state.open[i] ? "true" : "false" }, stores.id[i]));
      } else {
        td.textContent = cellText(c.key, i);
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function renderRows() {
    var body = document.getElementById("store-rows");
    var rows = state.rows;
    var pages = Math.max(1, Math.ceil(rows.length / state.size));
    var first = state.page * state.size;
    var fragment = document.createDocumentFragment();
    rows.slice(first, first + state.size).forEach(function (i) {
      fragment.appendChild(storeRow(i));
      if (state.open[i]) { fragment.appendChild(detailRow(i)); }
    });
    body.replaceChildren(fragment);
    document.getElementById("match-count").textContent = rows.length === storeCount ?
      group(storeCount) + " stores" :
      group(rows.length) + " of " + group(storeCount) + " stores match";
    document.getElementById("page-info").textContent = rows.length ?
      "page " + (state.page + 1) + " of " + pages + " (stores " + group(first + 1) + "–" +
      group(Math.min(first + state.size, rows.length)) + ")" : "no store matches";
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
    document.querySelectorAll("#store-table th").forEach(function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key !== state.sortKey ? "none" :
        state.dir > 0 ? "ascending" : "descending");
    });
  }

  function toggle(i) {
    if (state.open[i]) { delete state.open[i]; } else { state.open[i] = true; }
    renderRows();
  }

  // ------------------------------------------------------------------ one store's week
  function detailRow(i) {
    var tr = el("tr", { "class": "details", "data-for": String(i) });
    var td = tr.appendChild(el("td", { colspan: String(COLUMNS.length) }));
    var zone = report.zones[stores.z[i]];
    var facts = td.appendChild(el("p", { "class": "facts" }));
    var zoneNote = stores.f[i] & 2 ? " (no zone in the data: default)" :
      stores.f[i] & 4 ? " (unknown zone in the data: default)" : "";
    facts.appendChild(el("span", null, "Time zone " + zone.name + zoneNote + ". "));
    facts.appendChild(el("span", null, stores.f[i] & 1 ?
      "No business hours in the data: open 24/7. " : "Business hours from the data. "));
    facts.appendChild(el("span", null, "Week: " + pct(stores.pw[i]) + " up, " +
      hoursHmm(stores.dw[i]) + " down in business hours."));
    td.appendChild(dayBars(i));
    td.appendChild(timeline(i, zone));
    td.appendChild(closureList(i, zone));
    td.appendChild(incidentTable(i, zone));
    return tr;
  }

  function segments(starts, ends, from, to) {
    var out = [];
    for (var k = 0; k < starts.length; k++) {
      var a = Math.max(starts[k], from);
      var b = Math.min(ends[k], to);
      if (b > a) { out.push([a, b]); }
    }
    return out;
  }
  function slice(columns, ptr, i) {
    var lo = ptr[i];
    var hi = ptr[i + 1];
    var out = {};
    Object.keys(columns).forEach(function (k) {
      if (k !== "ptr") { out[k] = columns[k].slice(lo, hi); }
    });
    return out;
  }

  function timeline(i, zone) {
    // drawn at the width it is shown at, so that its text stays legible on a phone
    var total = Math.max(300, Math.min(1000, document.getElementById("stores").clientWidth - 40));
    var X0 = total < 600 ? 52 : 92;
    var W = total - X0 - 28;
    var ROW = 22;
    var TOP = 20;
    var inc = incidents ? slice(incidents, incidents.ptr, i) : { s: [], e: [] };
    var bus = businessHours ? slice(businessHours, businessHours.ptr, i) : null;
    var shut = closures ? slice(closures, closures.ptr, i) : { s: [], e: [], r: [] };
    var days = [];
    var m = zone.midnights;
    for (var k = 0; k + 1 < m.length; k++) {
      if (m[k + 1] > 0 && m[k] < WEEK) { days.push(k); }
    }
    var height = TOP + days.length * ROW + 4;
    var root = svg("svg", { "class": "timeline", viewBox: "0 0 " + total + " " + height, role: "img",
      "aria-label": "week timeline in local time" });
    [0, 6, 12, 18, 24].forEach(function (h) {
      var x = X0 + W * h / 24;
      root.appendChild(svg("text", { x: x, y: 12, "class": "tick" }, h + ":00"));
      root.appendChild(svg("line", { x1: x, x2: x, y1: 15, y2: height, "class": "grid" }));
    });
    days.forEach(function (k, row) {
      var from = m[k];
      var to = m[k + 1];
      var y = TOP + row * ROW;
      var x = function (t) { return X0 + W * (t - from) / (to - from); };
      var rect = function (a, b, cls, top, h) {
        root.appendChild(svg("rect", { x: x(a).toFixed(1), width: (x(b) - x(a)).toFixed(1),
          y: y + top, height: h, "class": cls }));
      };
      var date = new Date((zone.first_day + k) * 86400000);
      var label = total < 600 ? DAYS[date.getUTCDay()] + " " + date.getUTCDate() : dayLabel(date);
      root.appendChild(svg("text", { x: 0, y: y + 14, "class": "day" }, label));
      segments([0], [WEEK], from, to).forEach(function (s) { rect(s[0], s[1], "window", 1, ROW - 4); });
      if (bus) {
        segments(bus.o, bus.c, from, to).forEach(function (s) { rect(s[0], s[1], "up", 3, ROW - 8); });
      }
      for (var c = 0; c < shut.s.length; c++) {
        // drawn inside the week window, as the business hours are
        segments([shut.s[c]], [shut.e[c]], Math.max(from, 0), Math.min(to, WEEK)).forEach(function (s) {
          var r = svg("rect", { x: x(s[0]).toFixed(1), width: (x(s[1]) - x(s[0])).toFixed(1),
            y: y + 1, height: ROW - 4, "class": "planned" });
          r.appendChild(svg("title", null, "closed: " + (shut.r[c] || "no reason given")));
          root.appendChild(r);
        });
      }
      segments(inc.s, inc.e, from, to).forEach(function (s) { rect(s[0], s[1], "down-closed", 8, ROW - 18); });
      if (bus) {
        segments(inc.s, inc.e, from, to).forEach(function (s) {
          segments(bus.o, bus.c, s[0], s[1]).forEach(function (b) { rect(b[0], b[1], "down", 3, ROW - 8); });
        });
      }
    });
    var wrap = el("div", { "class": "timeline-wrap" });
    wrap.appendChild(root);
    var legend = wrap.appendChild(el("p", { "class": "legend" }));
    [["up", "open, up"], ["down", "open, down"], ["down-closed", "down outside business hours"],
      ["window", "closed"], ["planned", "closed (planned: not downtime)"]].forEach(function (pair) {
      legend.appendChild(el("span", { "class": "swatch " + pair[0] }));
      legend.appendChild(el("span", null, pair[1]));
    });
    if (!bus) { legend.appendChild(el("span", null, " (business hours not in this report)")); }
    return wrap;
  }

  // ------------------------------------------------------------------ the last 30 days
  function dayClass(p) {
    if (p === null) { return "none"; }
    return p >= 100 ? "full" : p >= 99 ? "high" : p >= 95 ? "mid" : p >= 80 ? "low" : "bad";
  }
  function dayDate(i, k) { return new Date((dayData.t0[i] + k - dayData.ptr[i]) * 86400000); }
  function dayText(i, k) {
    var date = dayDate(i, k);
    var label = dayLabel(date) + " " + date.getUTCFullYear();
    if (dayData.p[k] === null) { return label + ": no business hours"; }
    return label + ": " + pct(dayData.p[k]) + " up, " + hmm(dayData.u[k]) + " up and " +
      hmm(dayData.d[k]) + " down of " + hmm(dayData.u[k] + dayData.d[k]) +
      " business hours (h:mm)";
  }
  function dayBars(i) {
    var box = el("div", { "class": "days" });
    if (!dayData || dayData.ptr[i + 1] === dayData.ptr[i]) { return box; }
    var lo = dayData.ptr[i];
    var hi = dayData.ptr[i + 1];
    box.appendChild(el("h3", { id: "days-title-" + i }, "Last " + (hi - lo) +
      " days (local dates): uptime of each day's business hours"));
    var list = box.appendChild(el("div", { "class": "day-bars", role: "list",
      "aria-labelledby": "days-title-" + i }));
    var tip = el("div", { "class": "day-tip", role: "tooltip", id: "day-tip-" + i });
    tip.hidden = true;
    for (var k = lo; k < hi; k++) {
      var bar = list.appendChild(el("div", { "class": "day-bar " + dayClass(dayData.p[k]),
        role: "listitem", tabindex: "0", "aria-label": dayText(i, k),
        "aria-describedby": "day-tip-" + i, "data-k": String(k) }));
      bar.appendChild(el("span", { "class": "fill" }));
    }
    function show(e) {
      var bar = e.target.closest(".day-bar");
      if (!bar) { return; }
      tip.textContent = bar.getAttribute("aria-label");
      tip.hidden = false;
      var left = bar.offsetLeft + bar.offsetWidth / 2 - list.offsetLeft;
      tip.style.left = Math.max(0, Math.min(left - 120, list.offsetWidth - 240)) + "px";
      tip.style.top = (list.offsetTop + list.offsetHeight + 6) + "px";
    }
    function hide() { tip.hidden = true; }
    list.addEventListener("mouseover", show);
    list.addEventListener("focusin", show);
    list.addEventListener("mouseleave", hide);
    list.addEventListener("focusout", hide);
    box.appendChild(tip);
    var first = dayDate(i, lo);
    var last = dayDate(i, hi - 1);
    var axis = box.appendChild(el("p", { "class": "day-axis" }));
    axis.appendChild(el("span", null, dayLabel(first)));
    axis.appendChild(el("span", null, dayLabel(last)));
    var legend = box.appendChild(el("p", { "class": "legend" }));
    [["full", "100 %"], ["high", "99 %+"], ["mid", "95 %+"], ["low", "80 %+"], ["bad", "below 80 %"],
      ["none", "no business hours"]].forEach(function (pair) {
      legend.appendChild(el("span", { "class": "swatch day " + pair[0] }));
      legend.appendChild(el("span", null, pair[1]));
    });
    return box;
  }

  function closureList(i, zone) {
    var box = el("div", { "class": "closures" });
    if (!closures || closures.ptr[i + 1] === closures.ptr[i]) { return box; }
    var shut = slice(closures, closures.ptr, i);
    box.appendChild(el("p", { "class": "closures-title" }, "Planned closures this week (" +
      zone.name + ", not counted as downtime):"));
    var list = box.appendChild(el("ul", { "class": "closure-list" }));
    for (var k = 0; k < shut.s.length; k++) {
      var start = wall(shut.s[k], shut.o[k]);
      var end = wall(shut.e[k], shut.eo[k]);
      list.appendChild(el("li", { "class": "closure" }, dayLabel(start) + " " + clock(start) +
        " – " + (dayLabel(end) === dayLabel(start) ? "" : dayLabel(end) + " ") + clock(end) +
        ": " + (shut.r[k] || "no reason given")));
    }
    return box;
  }

  function incidentTable(i, zone) {
    var box = el("div", { "class": "incidents" });
    if (!incidents) {
      box.appendChild(el("p", null, "Incidents were not computed for this report."));
      return box;
    }
    var inc = slice(incidents, incidents.ptr, i);
    if (!inc.s.length) {
      box.appendChild(el("p", { "class": "none" }, "No incident in business hours this week."));
      return box;
    }
    var table = box.appendChild(el("table", { "class": "incident-list" }));
    table.appendChild(el("caption", null, inc.s.length + " incident" +
      (inc.s.length > 1 ? "s" : "") + " (local time, " + zone.name + ")"));
    var head = table.appendChild(el("thead")).appendChild(el("tr"));
    ["Start", "End", "Duration", "In business hours", ""].forEach(function (h) {
      head.appendChild(el("th", { scope: "col" }, h));
    });
    var body = table.appendChild(el("tbody"));
    for (var k = 0; k < inc.s.length; k++) {
      var start = wall(inc.s[k], inc.o[k]);
      var end = wall(inc.e[k], inc.eo[k]);
      var tr = body.appendChild(el("tr", { "class": "incident" }));
      tr.appendChild(el("td", { "class": "start", title: offsetLabel(inc.o[k]) },
        dayLabel(start) + " " + clock(start)));
      tr.appendChild(el("td", { "class": "end", title: offsetLabel(inc.eo[k]) },
        (dayLabel(end) === dayLabel(start) ? "" : dayLabel(end) + " ") + clock(end)));
      tr.appendChild(el("td", { "class": "num duration" }, hmm((inc.e[k] - inc.s[k]) / 60)));
      tr.appendChild(el("td", { "class": "num business" }, hmm(inc.b[k])));
      tr.appendChild(el("td", { "class": "ongoing" }, inc.g[k] ? "ongoing" : ""));
    }
    return box;
  }

  renderDownNow();
  renderFleet();
  renderStoresSection();
  renderQuality();
  buildRanking();
  refresh();
  document.body.setAttribute("data-ready", "true");
  if (window.performance && performance.mark) { performance.mark("storemon-ready"); }
})();
