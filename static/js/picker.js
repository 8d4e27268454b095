// A compact picker over contacts, groups and official accounts (GET /api/contacts, /api/groups, /api/mps ?q=):
// the chosen ones as chips with their names, a search box, and the matches below it. Pages keep puids; people see
// names (GET /api/names turns stored puids back into names).
import { api, clear, debounce, el, t } from "./core.js";
import { displayName, listChats } from "./data.js";
import { kindMark } from "./recipients.js";

const KIND_OF = { contacts: "contact", groups: "group", mps: "mp" };
const PER_KIND = 8;
let pickers = 0;

/** {puid: {name, kind}} for the puids the archive knows; the others are left out. */
export async function namesFor(puids) {
  const unique = [...new Set(puids.filter(Boolean))];
  if (!unique.length) return {};
  const search = new URLSearchParams();
  for (const puid of unique) search.append("puid", puid);
  try {
    return (await api("GET", `/api/names?${search}`)).items || {};
  } catch {
    return {}; // names are a nicety: the puids still work
  }
}

/** Turn puids into picker items with the names from `names` (see namesFor). */
export function itemsFor(puids, names, fallbackKind = "contact") {
  return (puids || []).map((puid) => ({ puid, name: names[puid]?.name || puid, kind: names[puid]?.kind || fallbackKind,
    unknown: !names[puid] }));
}

/**
 * kinds: which lists to search ("contacts", "groups", "mps"); multiple: chips (true) or one choice (false);
 * label: the accessible name. Returns {node, values(), set(items), onChange}.
 */
export function chatPicker({ kinds = ["contacts"], multiple = true, label = "", placeholder = t("picker_search"),
  items = [], id = null } = {}) {
  pickers += 1;
  id = id || `picker-${pickers}`;
  const chosen = new Map();
  const chips = el("ul", { class: "chips picker-chips list-unstyled", "aria-label": label });
  const input = el("input", { type: "search", class: "form-control form-control-sm picker-input", id: `${id}-q`,
    placeholder, autocomplete: "off", role: "combobox", "aria-expanded": "false", "aria-controls": `${id}-results`,
    "aria-autocomplete": "list", "aria-label": label });
  const results = el("ul", { class: "picker-results list-unstyled", id: `${id}-results`, hidden: true });
  const node = el("div", { class: "picker", "data-kinds": kinds.join(" ") }, chips,
    el("div", { class: "picker-search" }, input, results));
  const picker = { node, input, onChange: () => {} };
  let seq = 0;

  function renderChips() {
    clear(chips, [...chosen.values()].map((item) => el("li", {
      class: `chip${item.unknown ? " chip-unknown" : ""}`, "data-puid": item.puid, title: item.puid,
    }, kindMark(item.kind), el("span", { class: "text-truncate", text: item.name }),
    el("button", { type: "button", class: "btn-close btn-close-sm", "aria-label": `${t("remove")}: ${item.name}`,
      onclick: () => {
        chosen.delete(item.puid);
        renderChips();
        picker.onChange();
        input.focus();
      } }))));
    input.hidden = !multiple && chosen.size > 0;
  }

  function close() {
    results.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function choose(item, kind) {
    if (!multiple) chosen.clear();
    chosen.set(item.puid, { puid: item.puid, name: displayName(item), kind: KIND_OF[kind] });
    renderChips();
    picker.onChange();
    input.value = "";
    close(); // the results would cover what comes next in the form; typing (or a click) opens them again
    if (multiple) input.focus();
  }

  async function search() {
    const mine = ++seq;
    const q = input.value.trim();
    let found;
    try {
      found = await Promise.all(kinds.map(async (kind) => ({
        kind, items: (await listChats(kind, { q, page: 1, per_page: PER_KIND })).items || [] })));
    } catch (error) {
      if (mine !== seq) return;
      clear(results, el("li", { class: "picker-note text-danger", text: error.message || String(error) }));
      open();
      return;
    }
    if (mine !== seq) return;
    const options = found.flatMap(({ kind, items: list }) => list.map((item) => {
      const picked = chosen.has(item.puid);
      return el("li", {}, el("button", {
        type: "button", class: `picker-option${picked ? " is-picked" : ""}`, "data-puid": item.puid,
        "aria-pressed": picked ? "true" : "false", onclick: () => choose(item, kind),
      }, kindMark(KIND_OF[kind]), el("span", { class: "text-truncate", text: displayName(item) }),
      picked ? el("span", { class: "ms-auto text-success", "aria-hidden": "true", text: "✓" }) : null));
    }));
    clear(results, options.length ? options
      : el("li", { class: "picker-note", text: q ? t("no_results") : t("empty") }));
    open();
  }

  function open() {
    if (document.activeElement !== input && !node.contains(document.activeElement)) return;
    results.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  const later = debounce(search, 200);
  input.addEventListener("input", later);
  input.addEventListener("click", search);
  input.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") close();
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (results.hidden) await search();
      results.querySelector("button")?.focus();
    }
    if (event.key === "Enter") {
      event.preventDefault(); // never submit the surrounding form from the search box
      results.querySelector("button")?.click();
    }
  });
  results.addEventListener("keydown", (event) => {
    const buttons = [...results.querySelectorAll("button")];
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = index + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) input.focus();
      else buttons[Math.min(next, buttons.length - 1)]?.focus();
    }
    if (event.key === "Escape") {
      close();
      input.focus();
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (!results.hidden && !node.contains(event.target)) close();
  });
  node.addEventListener("focusout", () => window.setTimeout(() => {
    if (!node.contains(document.activeElement)) close();
  }, 150));

  picker.values = () => [...chosen.keys()];
  picker.set = (list) => {
    chosen.clear();
    for (const item of list) chosen.set(item.puid, item);
    renderChips();
  };
  picker.set(items);
  return picker;
}
