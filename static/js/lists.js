// A searchable, paged, selectable list (contacts, groups, members, MPs) and the bar that acts on the selection.
import {
  api, busy, clear, debounce, el, emptyState, failure, loading, pager, promptDialog, reportError, t, toast,
} from "./core.js";
import { displayName } from "./data.js";

let listCount = 0;

/**
 * Build a list inside `root`.
 * fetchPage({q, page, per_page}) → {items, page, per_page, total, live?}
 * renderItem(item, list) → the row's content (checkbox and avatar come from the caller via list.checkbox(item))
 */
export function pagedList(root, { fetchPage, renderItem, perPage = 20, searchLabel, emptyText, selectable = false }) {
  listCount += 1;
  const id = `list-${listCount}`;
  const search = el("input", { type: "search", id: `${id}-q`, class: "form-control", placeholder: searchLabel,
    autocomplete: "off", "aria-controls": `${id}-items` });
  const items = el("ul", { id: `${id}-items`, class: "chat-list list-unstyled mb-0", "aria-live": "polite" });
  const status = el("div", { class: "list-status" });
  const paging = el("div", { class: "list-pager" });
  clear(root,
    el("div", { class: "list-toolbar" },
      el("label", { class: "visually-hidden", for: search.id, text: searchLabel }), search),
    status, items, paging);
  const list = {
    selected: new Map(), page: 1, result: null, onSelect: () => {},
    async reload(page = list.page) {
      list.page = page;
      clear(status);
      if (!list.result) clear(items, el("li", {}, loading()));
      let result;
      try {
        result = await fetchPage({ q: search.value.trim(), page, per_page: perPage });
      } catch (error) {
        clear(items, el("li", {}, failure(error)));
        clear(paging);
        return;
      }
      list.result = result;
      if (result.live) clear(status, el("div", { class: "alert alert-light small py-2 mb-2", text: t("live_data_note") }));
      clear(items, result.items.length ? result.items.map((item) => el("li", {
        class: "chat-row", "data-puid": item.puid, "data-name": displayName(item),
      }, renderItem(item, list))) : el("li", {}, emptyState(search.value.trim() ? t("no_results") : emptyText)));
      clear(paging, result.total > result.per_page ? pager(result, (n) => list.reload(n)) : null);
    },
    checkbox(item, label) {
      if (!selectable) return null;
      const box = el("input", { type: "checkbox", class: "form-check-input", checked: list.selected.has(item.puid),
        "aria-label": label || displayName(item) });
      box.addEventListener("change", () => {
        if (box.checked) list.selected.set(item.puid, item);
        else list.selected.delete(item.puid);
        list.onSelect(list.selected);
      });
      return box;
    },
    search,
  };
  search.addEventListener("input", debounce(() => list.reload(1), 250));
  return list;
}

/** Remember recipients and open the send page. */
export function sendTo(items, kind) {
  const recipients = items.map((item) => ({ puid: item.puid, name: displayName(item), kind }));
  window.sessionStorage.setItem("send.recipients", JSON.stringify(recipients));
  window.location.assign("/send");
}

/** A sticky bar for the selection: send to them, create a group from them, clear. */
export function selectionBar(list, { kind, createGroup = true, onChanged = () => {} }) {
  const count = el("span", { class: "fw-semibold" });
  const send = el("button", { type: "button", class: "btn btn-success btn-sm", text: t("send_message") });
  const group = createGroup ? el("button", { type: "button", class: "btn btn-outline-success btn-sm",
    text: t("create_group") }) : null;
  const reset = el("button", { type: "button", class: "btn btn-link btn-sm text-secondary", text: t("clear_selection") });
  const bar = el("div", { class: "selection-bar", role: "region", "aria-label": t("selection"), hidden: true },
    count, el("div", { class: "d-flex gap-2 flex-wrap" }, send, group, reset));
  list.onSelect = (selected) => {
    bar.hidden = selected.size === 0;
    count.textContent = t("selected", { n: selected.size });
  };
  send.addEventListener("click", () => sendTo([...list.selected.values()], kind));
  reset.addEventListener("click", () => {
    list.selected.clear();
    list.onSelect(list.selected);
    list.reload();
  });
  group?.addEventListener("click", async () => {
    const members = [...list.selected.keys()];
    if (members.length < 2) {
      toast(t("need_two"), "warning");
      return;
    }
    const topic = await promptDialog(t("group_topic"), { okText: t("create_group") });
    if (topic === null) return;
    await busy(group, async () => {
      try {
        const result = await api("POST", "/api/wechat/groups", { members, topic: topic.trim() });
        toast(t("group_created", { name: result.group?.name || topic }));
        list.selected.clear();
        list.onSelect(list.selected);
        onChanged();
      } catch (error) {
        reportError(error);
      }
    });
  });
  return bar;
}

/** The "add friend" action: ask for the verification text, then send the request. */
export async function addFriend(item, button) {
  const text = await promptDialog(t("add_friend_prompt"), { title: `${t("add_friend")}: ${displayName(item)}`,
    okText: t("add_friend") });
  if (text === null) return;
  await busy(button, async () => {
    try {
      await api("POST", "/api/wechat/friends", { puid: item.puid, text });
      toast(t("friend_request_sent", { name: displayName(item) }));
    } catch (error) {
      reportError(error);
    }
  });
}
