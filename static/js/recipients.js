// The recipient picker of the Send and Schedules pages: contacts, groups and group members in tabs (searchable,
// paged lists with checkboxes) feeding one set of chosen recipients, shown as removable chips.
import { avatar, clear, el, t } from "./core.js";
import { displayName, listChats, listMembers } from "./data.js";
import { pagedList } from "./lists.js";

/** The short mark in front of a chip: 群 (group), 人 (person), 号 (official account). */
export function kindMark(kind) {
  return el("span", { class: `chip-kind kind-${kind}`, "aria-hidden": "true",
    text: kind === "group" ? t("kind_group") : kind === "mp" ? t("kind_mp") : t("kind_contact") });
}

/**
 * panes: {contacts, groups, members?} (tab panes with data-search-label), chips: the <ul> of chosen recipients,
 * count: where "{n} recipients" goes. Returns {recipients: Map(puid → {puid, name, kind}), set(items), render()}.
 */
export function recipientPicker({ panes, chips, count, onChange = () => {} }) {
  const recipients = new Map();
  const lists = [];

  function render() {
    clear(chips, [...recipients.values()].map((item) => el("li", { class: "chip", "data-puid": item.puid },
      kindMark(item.kind),
      el("span", { class: "text-truncate", text: item.name }),
      el("button", { type: "button", class: "btn-close btn-close-sm", "aria-label": `${t("remove")}: ${item.name}`,
        onclick: () => {
          recipients.delete(item.puid);
          syncChecks();
        } }))));
    if (count) count.textContent = t("recipients_count", { n: recipients.size });
    onChange(recipients);
  }

  function syncChecks() {
    render();
    for (const list of lists) if (list.result) list.reload();
  }

  function pickable(root, kind, fetchPage) {
    const list = pagedList(root, {
      fetchPage,
      renderItem: (item, self) => [
        self.checkbox(item),
        avatar(item.avatar_url, displayName(item), "sm"),
        el("div", { class: "row-main" }, el("div", { class: "row-title" }, el("span", { class: "name",
          text: displayName(item) })),
        item.member_count ? el("div", { class: "row-sub", text: t("member_count", { n: item.member_count }) }) : null),
      ],
      searchLabel: root.dataset.searchLabel,
      emptyText: t("empty"),
      selectable: true,
    });
    // One selection for every list: a checkbox anywhere adds to (or removes from) the recipients.
    list.selected = {
      has: (puid) => recipients.has(puid),
      set: (puid, item) => recipients.set(puid, { puid, name: displayName(item), kind }),
      delete: (puid) => recipients.delete(puid),
    };
    list.onSelect = render;
    lists.push(list);
    return list;
  }

  const contacts = pickable(panes.contacts, "contact", (params) => listChats("contacts", params));
  const groups = pickable(panes.groups, "group", (params) => listChats("groups", params));

  // Group members: pick a group first, then its members.
  const membersPane = panes.members;
  function showGroupPicker() {
    const picker = pagedList(membersPane, {
      fetchPage: (params) => listChats("groups", params),
      renderItem: (item) => [
        avatar(item.avatar_url, displayName(item), "sm"),
        el("div", { class: "row-main" }, el("button", { type: "button", class: "btn btn-link row-title-button",
          text: displayName(item), onclick: () => showMembersOf(item) })),
      ],
      searchLabel: membersPane.dataset.searchLabel,
      emptyText: t("empty"),
    });
    picker.reload(1);
  }
  function showMembersOf(group) {
    const holder = el("div", {});
    const back = el("button", { type: "button", class: "btn btn-sm btn-link px-0 mb-2",
      text: `‹ ${t("group_members_of", { name: displayName(group) })}`, onclick: () => {
        lists.splice(lists.indexOf(members), 1);
        showGroupPicker();
      } });
    clear(membersPane, back, holder);
    const members = pickable(holder, "contact", (params) => listMembers(group, params));
    members.reload(1);
  }
  if (membersPane) {
    const tab = document.querySelector(`[aria-controls="${membersPane.id}"]`);
    tab?.addEventListener("shown.bs.tab", () => {
      if (!membersPane.childElementCount) showGroupPicker();
    }, { once: true });
  }

  contacts.reload(1);
  groups.reload(1);
  return {
    recipients,
    render,
    /** Replace the chosen recipients with items [{puid, name, kind}]. */
    set(items) {
      recipients.clear();
      for (const item of items) recipients.set(item.puid, item);
      syncChecks();
    },
  };
}
