// The sandbox page: phones that play the LINE app for several users, and a till.
//
// The page does what the LINE app and a POS do, nothing the bot does: a tap, a text or a
// photo becomes a webhook event (sandbox/page.py signs it and hands it to /callback), the
// messages the bot sent are read back from the LINE stand-in, and the till calls the real
// POS API. Phones, the store key and the sales list are kept in localStorage.
"use strict";

const STORAGE_KEY = "line-sandbox.v1";
const POLL_MS = 1000;
const MAX_KEPT_PER_CHAT = 200;
const DEFAULT_PERSONAS = [
  { displayName: "佐藤 花子", language: "ja", role: "shopper" },
  { displayName: "Emma Brown", language: "en", role: "shopper" },
  { displayName: "店員 鈴木", language: "ja", role: "staff" },
];
const PICKER_FORMATS = { date: "YYYY-MM-DD", time: "HH:mm", datetime: "YYYY-MM-DDTHH:mm" };

const state = loadState();
const phones = new Map(); // userId -> { persona, root, chat, quick, menuBox, menuId, menuOpen }
let after = 0; // the seq of the last message read from the LINE stand-in

// -- storage and HTTP ----------------------------------------------------------------------

function loadState() {
  const empty = { personas: [], store: null, sales: [], sent: {}, tillUser: null };
  try {
    return { ...empty, ...JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") };
  } catch (error) {
    return empty;
  }
}

function save() {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
}

// POST `body` (JSON, or FormData as it is) to one of the page's endpoints; the answer's JSON.
async function api(path, body) {
  const init = { method: "POST" };
  if (body instanceof FormData) {
    init.body = body;
  } else {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body || {});
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((data && (data.detail || data.title)) || `HTTP ${response.status}`);
  }
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function setStatus(text, bad) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("bad", Boolean(bad));
}

// -- phones ------------------------------------------------------------------------------

async function addPersona(fields) {
  const made = await api("api/personas", fields);
  const persona = { ...fields, userId: made.userId, friend: "new", staffRegistered: false };
  state.personas.push(persona);
  save();
  mountPhone(persona);
  refreshTillShoppers();
  return persona;
}

function mountPhone(persona) {
  const root = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
  root.dataset.user = persona.userId;
  root.dataset.role = persona.role;
  root.querySelector(".avatar").textContent = Array.from(persona.displayName)[0] || "?";
  root.querySelector(".name").textContent = persona.displayName;
  const phone = {
    persona,
    root,
    chat: root.querySelector(".chat"),
    quick: root.querySelector(".quick-replies"),
    menuBox: root.querySelector(".richmenu"),
    menuId: undefined,
    menuOpen: {},
  };
  phones.set(persona.userId, phone);
  root.querySelectorAll(".phone-actions button").forEach((button) => {
    button.addEventListener("click", () => phoneAction(phone, button.dataset.act));
  });
  const input = root.querySelector(".text-input");
  root.querySelector(".composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendEvent(phone, { type: "text", text }, { kind: "text", text });
  });
  const picker = root.querySelector(".photo-input");
  root.querySelector(".photo-button").addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    if (picker.files.length) sendPhoto(phone, picker.files[0]);
    picker.value = "";
  });
  for (const item of state.sent[persona.userId] || []) showMine(phone, item);
  showMenu(phone, null);
  document.getElementById("phones").appendChild(root);
  refreshHead(phone);
}

function refreshHead(phone) {
  const { persona, root } = phone;
  const language = persona.language === "en" ? "English" : "日本語";
  const friend = { new: "not a friend yet", friend: "friend", blocked: "blocked" }[persona.friend];
  const role = persona.role === "staff" ? (persona.staffRegistered ? "staff" : "staff (not registered)") : "shopper";
  root.querySelector(".tags").textContent = `${role} · ${language} · ${friend}`;
  const show = {
    follow: persona.friend === "new",
    unfollow: persona.friend === "friend",
    unblock: persona.friend === "blocked",
    staff: persona.role === "staff" && !persona.staffRegistered,
    remove: true,
  };
  root.querySelectorAll(".phone-actions button").forEach((button) => {
    button.hidden = !show[button.dataset.act];
  });
  // LINE lets nobody write to an account they have blocked.
  root.querySelectorAll(".composer input, .composer button").forEach((control) => {
    control.disabled = persona.friend === "blocked";
  });
}

async function phoneAction(phone, act) {
  const { persona } = phone;
  if (act === "remove") {
    phone.root.remove();
    phones.delete(persona.userId);
    state.personas = state.personas.filter((p) => p.userId !== persona.userId);
    delete state.sent[persona.userId];
    save();
    refreshTillShoppers();
    return;
  }
  if (act === "staff") {
    await registerStaff(phone);
    return;
  }
  const notes = {
    follow: "You added the account as a friend",
    unfollow: "You blocked the account",
    unblock: "You unblocked the account",
  };
  persona.friend = act === "unfollow" ? "blocked" : "friend";
  save();
  refreshHead(phone);
  await sendEvent(phone, { type: act }, { kind: "note", text: notes[act] });
}

async function registerStaff(phone) {
  try {
    if (!state.store) await makeStore();
    const made = await api("api/staff", { userId: phone.persona.userId });
    phone.persona.staffRegistered = true;
    save();
    refreshHead(phone);
    const menu = made.staffMenu ? "the staff rich menu is linked" : "deploy the rich menus to get the staff menu";
    keepMine(phone, { kind: "note", text: `Registered as staff of ${made.storeId}; ${menu}` });
  } catch (error) {
    keepMine(phone, { kind: "note", text: `Could not register as staff: ${error.message}` });
  }
}

// -- what a user does --------------------------------------------------------------------

async function sendEvent(phone, body, echo) {
  hideQuickReplies(phone);
  if (echo) keepMine(phone, echo);
  try {
    const answer = await api("api/events", { userId: phone.persona.userId, ...body });
    if (answer.webhookStatus !== 200) {
      keepMine(phone, { kind: "note", text: `The webhook answered ${answer.webhookStatus}` });
    }
  } catch (error) {
    keepMine(phone, { kind: "note", text: `Not sent: ${error.message}` });
  }
  pollSoon();
}

async function sendPhoto(phone, file) {
  hideQuickReplies(phone);
  showMine(phone, { kind: "photo", src: URL.createObjectURL(file), at: Date.now() });
  remember(phone, { kind: "note", text: `You sent a photo (${file.name})`, at: Date.now() });
  const form = new FormData();
  form.append("userId", phone.persona.userId);
  form.append("photo", file);
  try {
    await api("api/photos", form);
  } catch (error) {
    keepMine(phone, { kind: "note", text: `Photo not sent: ${error.message}` });
  }
  pollSoon();
}

// Do what tapping `action` does in the LINE app.
function perform(phone, action) {
  switch (action.type) {
    case "postback": {
      const echo = action.displayText ? { kind: "text", text: action.displayText } : null;
      return sendEvent(phone, { type: "postback", data: action.data }, echo);
    }
    case "message":
      return sendEvent(phone, { type: "text", text: action.text }, { kind: "text", text: action.text });
    case "uri":
      window.open(action.uri, "_blank", "noopener");
      return null;
    case "datetimepicker": {
      const mode = PICKER_FORMATS[action.mode] ? action.mode : "datetime";
      const value = window.prompt(`${action.label || "Choose"} (${PICKER_FORMATS[mode]})`, action.initial || "");
      if (!value) return null;
      return sendEvent(phone, { type: "postback", data: action.data, params: { [mode]: value } });
    }
    case "camera":
    case "cameraRoll":
      phone.root.querySelector(".photo-input").click();
      return null;
    case "clipboard":
      if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
      keepMine(phone, { kind: "note", text: "Copied to the clipboard" });
      return null;
    case "richmenuswitch":
      return switchMenu(phone, action);
    default:
      keepMine(phone, { kind: "note", text: `The sandbox cannot do a "${action.type}" action` });
      return null;
  }
}

// -- the chat ------------------------------------------------------------------------------

// Put a message in the chat in time order (the page's own and the bot's are merged by time).
function place(phone, node, at) {
  node.dataset.at = String(at);
  const later = Array.from(phone.chat.children).find((child) => Number(child.dataset.at) > at);
  phone.chat.insertBefore(node, later || null);
  phone.chat.scrollTop = phone.chat.scrollHeight;
}

function remember(phone, item) {
  const kept = state.sent[phone.persona.userId] || [];
  kept.push(item);
  state.sent[phone.persona.userId] = kept.slice(-MAX_KEPT_PER_CHAT);
  save();
}

function keepMine(phone, item) {
  const stamped = { ...item, at: Date.now() };
  remember(phone, stamped);
  showMine(phone, stamped);
}

function showMine(phone, item) {
  if (item.kind === "note") {
    const node = el("div", "msg system");
    node.appendChild(el("div", "note", item.text));
    place(phone, node, item.at);
    return;
  }
  const node = el("div", "msg me");
  node.dataset.type = item.kind;
  if (item.kind === "photo") {
    const img = el("img", "photo-bubble");
    img.src = item.src;
    img.alt = "photo sent";
    node.appendChild(img);
  } else {
    node.appendChild(el("div", "text-bubble", item.text));
  }
  node.appendChild(el("div", "meta", clock(item.at)));
  place(phone, node, item.at);
}

function showBot(phone, entry) {
  const message = entry.message;
  const at = Date.parse(entry.at);
  const node = el("div", "msg bot");
  node.dataset.seq = String(entry.seq);
  node.dataset.type = message.type;
  const row = el("div", "row");
  if (message.type === "text" || message.type === "textV2") {
    row.appendChild(el("div", "text-bubble", message.text));
  } else if (message.type === "flex") {
    const drawn = SandboxFlex.render(message.contents, (action) => perform(phone, action));
    drawn.element.title = message.altText || "";
    if (drawn.unknown.length) node.dataset.unknown = drawn.unknown.join(",");
    row.appendChild(drawn.element);
  } else if (message.type === "image") {
    const img = el("img", "photo-bubble");
    img.src = message.previewImageUrl || message.originalContentUrl;
    img.alt = "";
    row.appendChild(img);
  } else {
    row.appendChild(el("div", "text-bubble", `[${message.type}] ${message.altText || ""}`));
  }
  node.appendChild(row);
  const meta = el("div", "meta", `${clock(at)} · ${entry.via}`);
  const toggle = el("button", "json-toggle", "JSON");
  toggle.type = "button";
  const json = el("pre", "json", JSON.stringify(message, null, 2));
  json.hidden = true;
  toggle.addEventListener("click", () => {
    json.hidden = !json.hidden;
  });
  meta.appendChild(toggle);
  node.appendChild(meta);
  node.appendChild(json);
  place(phone, node, at);
  if (message.quickReply && phone.chat.lastElementChild === node) {
    showQuickReplies(phone, message.quickReply.items || []);
  }
}

function showQuickReplies(phone, items) {
  phone.quick.replaceChildren();
  for (const item of items) {
    const action = item.action || {};
    const button = el("button", "", action.label || action.type);
    button.type = "button";
    button.dataset.actionType = action.type || "";
    if (item.imageUrl) {
      const icon = el("img");
      icon.src = item.imageUrl;
      icon.alt = "";
      icon.width = 16;
      button.prepend(icon);
    }
    button.addEventListener("click", () => {
      hideQuickReplies(phone);
      perform(phone, action);
    });
    phone.quick.appendChild(button);
  }
  phone.quick.hidden = items.length === 0;
}

function hideQuickReplies(phone) {
  phone.quick.hidden = true;
  phone.quick.replaceChildren();
}

// -- the rich menu -------------------------------------------------------------------------

function showMenu(phone, menu) {
  const id = menu ? menu.richMenuId : null;
  if (phone.menuId === id) return;
  phone.menuId = id;
  phone.menuBox.replaceChildren();
  if (!menu) {
    phone.menuBox.appendChild(el("div", "rm-hint",
      "No rich menu yet: with make run running, run .venv/bin/python -m richmenu deploy " +
      "in another terminal; it appears here."));
    return;
  }
  const open = phone.menuOpen[id] !== undefined ? phone.menuOpen[id] : Boolean(menu.selected);
  const bar = el("button", "rm-bar");
  bar.type = "button";
  const panel = el("div", "rm-panel");
  panel.dataset.menu = id;
  panel.style.aspectRatio = `${menu.size.width} / ${menu.size.height}`;
  const setOpen = (value) => {
    phone.menuOpen[id] = value;
    panel.hidden = !value;
    bar.textContent = `${menu.chatBarText} ${value ? "▾" : "▴"}`;
  };
  bar.addEventListener("click", () => setOpen(panel.hidden));
  const img = el("img");
  img.src = `api/richmenus/${encodeURIComponent(id)}/image`;
  img.alt = menu.chatBarText;
  panel.appendChild(img);
  for (const area of menu.areas || []) {
    const { x, y, width, height } = area.bounds;
    const action = area.action || {};
    const button = el("button", "rm-area");
    button.type = "button";
    button.style.left = `${(100 * x) / menu.size.width}%`;
    button.style.top = `${(100 * y) / menu.size.height}%`;
    button.style.width = `${(100 * width) / menu.size.width}%`;
    button.style.height = `${(100 * height) / menu.size.height}%`;
    const label = action.label || action.displayText || action.data || action.type;
    button.title = label;
    button.setAttribute("aria-label", label);
    button.dataset.actionType = action.type || "";
    button.addEventListener("click", () => perform(phone, action));
    panel.appendChild(button);
  }
  phone.menuBox.append(bar, panel);
  setOpen(open);
}

async function switchMenu(phone, action) {
  hideQuickReplies(phone);
  try {
    const answer = await api("api/richmenu-switch", {
      userId: phone.persona.userId,
      richMenuAliasId: action.richMenuAliasId,
      data: action.data,
    });
    if (answer.status !== "SUCCESS") {
      keepMine(phone, { kind: "note", text: `LINE could not switch the menu (${answer.status})` });
    }
  } catch (error) {
    keepMine(phone, { kind: "note", text: `Menu not switched: ${error.message}` });
  }
  pollSoon();
}

// -- polling -------------------------------------------------------------------------------

let pollTimer = null;

function pollSoon() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, 150);
}

async function poll() {
  clearTimeout(pollTimer);
  try {
    const answer = await api("api/poll", {
      after,
      users: state.personas.map((p) => p.userId),
      till: tillUser() || undefined,
    });
    if (answer.newest < after) {
      // The LINE stand-in restarted and forgot everything: read it again from the start.
      after = 0;
      document.querySelectorAll(".msg.bot").forEach((node) => node.remove());
    } else {
      for (const entry of answer.messages) {
        const phone = phones.get(entry.to);
        if (phone) showBot(phone, entry);
      }
      after = answer.newest;
      for (const [user, menu] of Object.entries(answer.menus)) {
        const phone = phones.get(user);
        if (phone) showMenu(phone, menu);
      }
      if (answer.till) showTill(answer.till);
    }
    setStatus("connected");
  } catch (error) {
    setStatus(`cannot reach the bot: ${error.message}`, true);
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

// -- the till ------------------------------------------------------------------------------

function tillUser() {
  const select = document.getElementById("till-shopper");
  return select.value || null;
}

function refreshTillShoppers() {
  const select = document.getElementById("till-shopper");
  const chosen = state.tillUser;
  select.replaceChildren();
  const ordered = [...state.personas].sort((a, b) => (a.role === "shopper" ? 0 : 1) - (b.role === "shopper" ? 0 : 1));
  for (const persona of ordered) {
    const option = el("option", "", `${persona.displayName} (${persona.role})`);
    option.value = persona.userId;
    select.appendChild(option);
  }
  if (chosen && state.personas.some((p) => p.userId === chosen)) select.value = chosen;
  state.tillUser = select.value || null;
}

function showTill(shown) {
  const code = document.getElementById("till-code");
  const note = document.getElementById("till-code-note");
  if (shown.card) {
    code.textContent = shown.card.code;
    note.textContent = `member ${shown.number}; valid until ${clock(shown.card.validUntil * 1000)}`;
  } else {
    code.textContent = "–";
    note.textContent = "No card yet: add the account as a friend first.";
  }
  const select = document.getElementById("till-ticket");
  const chosen = select.value;
  select.replaceChildren(el("option", "", shown.tickets.length ? "choose a ticket" : "no ticket"));
  select.firstElementChild.value = "";
  for (const ticket of shown.tickets) {
    const option = el("option", "", `${ticket.reward} (${ticket.code})`);
    option.value = ticket.code;
    select.appendChild(option);
  }
  if (shown.tickets.some((t) => t.code === chosen)) select.value = chosen;
}

function renderStore() {
  const status = document.getElementById("store-status");
  const button = document.getElementById("make-store");
  status.replaceChildren();
  if (state.store) {
    status.append(`Store ${state.store.storeId} (${state.store.name}), POS key `, el("code", "", state.store.key));
    button.textContent = "Give the store a new key";
  } else {
    status.textContent = "No store yet: the till needs one and its POS API key.";
    button.textContent = "Create the store and a POS key";
  }
}

async function makeStore() {
  const made = await api("api/store", {});
  state.store = { storeId: made.storeId, name: made.name, key: made.key };
  save();
  renderStore();
}

function transactionId() {
  const random = Math.floor(Math.random() * 1e8).toString(36);
  return `SBX-${Date.now().toString(36)}-${random}`;
}

// Call the POS API as a till does and show its answer; the answer's JSON, or null.
async function pos(path, body) {
  const out = document.getElementById("till-answer");
  if (!state.store) {
    out.textContent = "Create the store first (the button above).";
    return null;
  }
  const init = {
    method: "POST",
    headers: { Authorization: `Bearer ${state.store.key}` },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    out.textContent = `The POS API did not answer: ${error.message}`;
    return null;
  }
  const data = await response.json().catch(() => null);
  out.textContent = `POST ${path}\n${response.status}\n${JSON.stringify(data, null, 2)}`;
  out.dataset.status = String(response.status);
  pollSoon();
  return response.ok ? data : null;
}

function shownCode() {
  const code = document.getElementById("till-code").textContent;
  return /^\d+$/.test(code) ? code : null;
}

async function charge() {
  const code = shownCode();
  if (!code) {
    document.getElementById("till-answer").textContent = "The shopper shows no card yet.";
    return;
  }
  const id = transactionId();
  const amount = Number(document.getElementById("till-amount").value);
  const used = Number(document.getElementById("till-points").value || 0);
  const answer = await pos("/api/v1/transactions", {
    transaction_id: id, card_code: code, amount, points_used: used,
  });
  if (answer) {
    const shopper = state.personas.find((p) => p.userId === tillUser());
    state.sales.unshift({ id, amount, who: shopper ? shopper.displayName : "?", refunded: false });
    state.sales = state.sales.slice(0, 20);
    save();
    renderSales();
  }
}

async function refund(sale) {
  const answer = await pos(`/api/v1/transactions/${encodeURIComponent(sale.id)}/refund`);
  if (answer) {
    sale.refunded = true;
    save();
    renderSales();
  }
}

function renderSales() {
  const list = document.getElementById("till-sales");
  list.replaceChildren();
  for (const sale of state.sales) {
    const item = el("li", "", `¥${sale.amount.toLocaleString()} · ${sale.who}`);
    const button = el("button", "", sale.refunded ? "refunded" : "Refund");
    button.type = "button";
    button.disabled = sale.refunded;
    button.addEventListener("click", () => refund(sale));
    item.appendChild(button);
    list.appendChild(item);
  }
}

function bindTill() {
  document.getElementById("make-store").addEventListener("click", async () => {
    try {
      await makeStore();
    } catch (error) {
      document.getElementById("till-answer").textContent = error.message;
    }
  });
  document.getElementById("till-shopper").addEventListener("change", () => {
    state.tillUser = tillUser();
    save();
    pollSoon();
  });
  document.getElementById("till-charge").addEventListener("click", charge);
  document.getElementById("till-lookup").addEventListener("click", () => {
    const code = shownCode();
    if (code) pos("/api/v1/members/lookup", { card_code: code });
  });
  document.getElementById("till-redeem").addEventListener("click", () => {
    const ticket = document.getElementById("till-ticket").value;
    if (!ticket) {
      document.getElementById("till-answer").textContent = "Choose a ticket the shopper shows.";
      return;
    }
    pos("/api/v1/tickets/redeem", { transaction_id: transactionId(), ticket_code: ticket });
  });
  document.getElementById("run-sweep").addEventListener("click", async () => {
    const out = document.getElementById("sweep-answer");
    out.hidden = false;
    try {
      const report = await api("api/sweep", {});
      out.textContent = `Sweep done: ${report.points_expired} points expired ` +
        `(${report.members} members checked), ${report.notices} notices and ` +
        `${report.reminders} reminders queued; ${report.tickets_expired} tickets expired, ` +
        `${report.ticket_reminders} ticket reminders queued.`;
    } catch (error) {
      out.textContent = `Sweep failed: ${error.message}`;
    }
    pollSoon();
  });
}

// -- start ---------------------------------------------------------------------------------

// Wait (a little) for the page's Japanese fallback font, so that names drawn first are not
// drawn before it and left as empty boxes on machines without a Japanese font of their own.
function fontReady() {
  const load = document.fonts ? document.fonts.load('700 14px "Sandbox JP"', "会員証") : Promise.resolve();
  const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
  return Promise.race([load.catch(() => null), timeout]);
}

async function start() {
  await fontReady();
  bindTill();
  renderStore();
  renderSales();
  document.getElementById("add-persona").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await addPersona({
        displayName: form.elements.name.value.trim(),
        language: form.elements.language.value,
        role: form.elements.role.value,
      });
      form.elements.name.value = "";
    } catch (error) {
      setStatus(`Could not add the phone: ${error.message}`, true);
    }
  });
  try {
    if (!state.personas.length) {
      for (const persona of DEFAULT_PERSONAS) await addPersona(persona);
    } else {
      // The LINE stand-in forgets profiles when it restarts: tell it each one again.
      for (const persona of state.personas) {
        await api("api/personas", {
          userId: persona.userId, displayName: persona.displayName, language: persona.language,
        });
        mountPhone(persona);
      }
      refreshTillShoppers();
    }
  } catch (error) {
    setStatus(`cannot reach the bot: ${error.message}`, true);
  }
  poll();
}

start();
