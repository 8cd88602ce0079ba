// SPDX-License-Identifier: GPL-2.0-only
//
// passgate-overview's page: follows /events (server-sent events: the
// whole state first, then one gate's or the station's snapshot per
// change) and draws each gate as a card.  Text only through
// textContent: nothing from the server becomes markup.
"use strict";

const station = { station: "", broker: false, database: false, window_s: 300 };
const gates = new Map();
let live = false;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(unix) {
  const d = new Date(unix * 1000);
  const now = new Date();
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (d.toDateString() === now.toDateString()) return hm;
  return d.toLocaleDateString([], { day: "numeric", month: "short" }) + " " + hm;
}

function ago(unix) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - unix));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

function listText(dd, list) {
  dd.textContent = "";
  if (!list) {
    dd.textContent = "none";
    return;
  }
  dd.append("generation " + list.generation);
  if (list.expires_at !== null) dd.append(", until " + clock(list.expires_at));
  if (list.expired) dd.append(" ", el("span", "expired", "EXPIRED"));
}

const alarmWords = {
  forced: "FORCED",
  tailgate: "TAILGATE",
  "beam-blocked": "BEAM BLOCKED",
};

function laneItem(lane) {
  const li = el("li");
  li.dataset.lane = lane.lane;
  li.append(el("strong", "", "lane " + lane.lane));
  if (lane.mode) li.append(el("span", "badge mode", lane.mode));
  for (const a of lane.alarms) li.append(el("span", "badge alarm", alarmWords[a] || a));
  if (lane.alarms.length && lane.alarm_at) li.append(el("span", "", ago(lane.alarm_at)));
  for (const r of lane.readers_offline)
    li.append(el("span", "badge reader", r + " offline"));
  return li;
}

function fillCard(card, g) {
  const lanesAlarmed = g.lanes.filter((l) => l.alarms.length);
  const alarm = g.fire !== "none" || lanesAlarmed.length > 0;
  const v = g.verdicts;
  const minutes = v.window_s / 60;

  card.className = "gate " + g.status;
  if (g.degraded) card.classList.add("degraded");
  if (alarm) card.classList.add("alarm");
  card.dataset.status = g.status;
  card.dataset.degraded = g.degraded;
  card.dataset.fire = g.fire;
  card.dataset.generation = g.lists.codes ? g.lists.codes.generation : "";
  card.dataset.expires = g.lists.codes && g.lists.codes.expires_at !== null
    ? g.lists.codes.expires_at : "";
  card.dataset.alarms = g.lanes
    .flatMap((l) => l.alarms.map((a) => l.lane + ":" + a)).join(" ");

  card.querySelector(".name").textContent = g.gate;
  const status = card.querySelector(".status");
  status.className = "status " + g.status;
  status.textContent = g.status;

  const fire = card.querySelector(".fire-state");
  fire.hidden = g.fire === "none";
  fire.textContent = g.fire === "alarm" ? "FIRE ALARM: every lane free"
    : "fire alarm cleared: lanes free until reset";

  listText(card.querySelector(".list-codes"), g.lists.codes);
  const tickets = card.querySelector(".list-tickets");
  tickets.hidden = card.querySelector(".tickets-label").hidden = !g.lists.tickets;
  listText(tickets, g.lists.tickets);
  if (g.degraded && g.lists.codes && !g.lists.codes.expired)
    card.querySelector(".list-codes").append(" ", el("span", "expired", "DEGRADED"));

  card.querySelector(".rate").textContent =
    (v.total / minutes).toFixed(1) + " / min over " + minutes + " min";
  card.querySelector(".p99").textContent = v.p99_us === null ? "–"
    : (v.p99_us / 1000).toFixed(1) + " ms (" + v.latency_samples + " verdicts)";
  card.querySelector(".verified").textContent = g.in_database
    ? "row " + g.verified_pos + (g.verified_at ? ", " + ago(g.verified_at) : "")
    : "no rows yet";

  const bars = card.querySelector(".minutes");
  const peak = Math.max(1, ...v.per_minute);
  bars.textContent = "";
  for (const n of v.per_minute) {
    const bar = el("span");
    bar.style.height = Math.round((100 * n) / peak) + "%";
    bar.title = n + " verdicts";
    bars.append(bar);
  }

  const reasons = card.querySelector(".reasons");
  reasons.textContent = "";
  const sorted = [...v.by_reason].sort((a, b) => b.count - a.count);
  for (const r of sorted) {
    const words = r.verdict === "accept" && r.reason === "none" ? "accept"
      : r.verdict + " " + r.reason.replace(/_/g, " ");
    reasons.append(el("li", "", words + " " + (r.count / minutes).toFixed(1) + "/min"));
  }

  const lanes = card.querySelector(".lanes");
  lanes.textContent = "";
  for (const l of g.lanes) lanes.append(laneItem(l));
}

function card(name) {
  let c = document.querySelector('#gates > [data-gate="' + CSS.escape(name) + '"]');
  if (c) return c;
  c = document.getElementById("gate-card").content.firstElementChild.cloneNode(true);
  c.dataset.gate = name;
  const list = document.getElementById("gates");
  const after = [...list.children].find((e) => e.dataset.gate > name);
  list.insertBefore(c, after || null);
  return c;
}

function drawGate(g) {
  gates.set(g.gate, g);
  fillCard(card(g.gate), g);
}

function drawStation() {
  document.getElementById("station").textContent = station.station;
  document.title = "passgate " + station.station;
  const set = (id, up) => {
    const e = document.getElementById(id);
    e.className = "link " + (up ? "up" : "down");
  };
  set("link-page", live);
  set("link-broker", station.broker);
  set("link-database", station.database);

  const all = [...gates.values()];
  const count = (f) => all.filter(f).length;
  const alarms = count((g) => g.fire !== "none" || g.lanes.some((l) => l.alarms.length));
  document.getElementById("summary").textContent =
    all.length + " gates · " + count((g) => g.status === "online") + " online · " +
    count((g) => g.status === "offline") + " offline · " +
    count((g) => g.degraded) + " degraded · " + alarms + " with alarms";
  document.getElementById("empty").hidden = all.length > 0;

  const fire = document.getElementById("fire");
  const burning = all.filter((g) => g.fire === "alarm").map((g) => g.gate);
  const cleared = all.filter((g) => g.fire === "cleared").map((g) => g.gate);
  fire.hidden = !burning.length && !cleared.length;
  fire.className = "fire" + (burning.length ? "" : " cleared");
  fire.textContent = burning.length
    ? "FIRE ALARM at " + burning.join(", ") + ": every lane is free"
    : "Fire alarm cleared, reset needed at " + cleared.join(", ");
}

function redraw() {
  for (const g of gates.values()) fillCard(card(g.gate), g);
  drawStation();
}

function follow() {
  const source = new EventSource("/events");
  source.addEventListener("open", () => {
    live = true;
    drawStation();
  });
  source.addEventListener("error", () => {
    live = false;
    drawStation();
  });
  source.addEventListener("state", (e) => {
    const s = JSON.parse(e.data);
    Object.assign(station, s.station);
    gates.clear();
    document.getElementById("gates").textContent = "";
    for (const g of s.gates) drawGate(g);
    drawStation();
  });
  source.addEventListener("gate", (e) => {
    drawGate(JSON.parse(e.data));
    drawStation();
  });
  source.addEventListener("station", (e) => {
    Object.assign(station, JSON.parse(e.data));
    drawStation();
  });
}

follow();
// Times relative to now ("12 s ago") age between changes.
setInterval(redraw, 10000);
