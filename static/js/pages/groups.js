// Groups and their members: search, paging, avatars, member counts; remove a member (owner only, confirmed);
// add a member as a friend; select groups or members → send a message, or create a group from members.
import { api, avatar, busy, clear, confirmDialog, el, emptyState, reportError, t, toast } from "../core.js";
import { displayName, forgetLive, listChats, listMembers } from "../data.js";
import { addFriend, pagedList, selectionBar, sendTo } from "../lists.js";
import { on } from "../live.js";
import { initSync } from "../sync.js";

const groupsRoot = document.getElementById("groups");
const membersHead = document.getElementById("members-head");
const membersRoot = document.getElementById("members");
let current = null;
let members = null;
// Members removed here: the archive learns of it with the next sync, so hide them until then.
const removed = new Set();

function renderGroup(item, list) {
  const name = displayName(item);
  const open = el("button", { type: "button", class: "btn btn-link row-title-button", "aria-pressed": String(
    current?.puid === item.puid) },
  el("span", { class: "name", text: name }));
  open.addEventListener("click", () => showMembers(item));
  return [
    list.checkbox(item),
    avatar(item.avatar_url, name),
    el("div", { class: "row-main" },
      el("div", { class: "row-title" }, open,
        item.is_owner ? el("span", { class: "badge text-bg-success", text: t("owner") }) : null,
        // Left on evidence only; the group and its members stay listed for the record.
        item.left_at ? el("span", { class: "badge text-bg-secondary group-left", text: t("group_left"),
          title: t(`group_left_${item.left_reason || "operator"}`) }) : null),
      item.member_count !== undefined && item.member_count !== null
        ? el("div", { class: "row-sub", text: t("member_count", { n: item.member_count }) }) : null),
    el("div", { class: "row-actions" },
      el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("members"),
        onclick: () => showMembers(item) }),
      el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("send"),
        onclick: () => sendTo([item], "group") })),
  ];
}

async function removeMember(member, button) {
  const name = displayName(member);
  const ok = await confirmDialog(t("remove_confirm", { name, group: displayName(current) }),
    { danger: true, okText: t("remove") });
  if (!ok) return;
  await busy(button, async () => {
    try {
      await api("POST", `/api/wechat/groups/${encodeURIComponent(current.puid)}/members/remove`,
        { members: [member.puid] });
      toast(t("removed", { name }));
      removed.add(`${current.puid}/${member.puid}`);
      members.selected.delete(member.puid);
      members.reload();
    } catch (error) {
      reportError(error);
    }
  });
}

function renderMember(item, list) {
  const name = displayName(item);
  const actions = el("div", { class: "row-actions" });
  if (item.is_friend === false) {
    const add = el("button", { type: "button", class: "btn btn-sm btn-outline-success", text: t("add_friend") });
    add.addEventListener("click", () => addFriend(item, add));
    actions.append(add);
  }
  if (list.result?.is_owner) {
    const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-danger", text: t("remove"),
      "aria-label": `${t("remove")}: ${name}` });
    remove.addEventListener("click", () => removeMember(item, remove));
    actions.append(remove);
  }
  const sub = item.display_name && item.nick_name && item.display_name !== item.nick_name ? item.nick_name : "";
  return [
    list.checkbox(item),
    avatar(item.avatar_url, name, "sm"),
    el("div", { class: "row-main" },
      el("div", { class: "row-title" }, el("span", { class: "name", text: name }),
        item.is_friend ? el("span", { class: "badge badge-soft", text: t("friend") }) : null),
      sub ? el("div", { class: "row-sub", text: sub }) : null),
    actions,
  ];
}

function showMembers(group) {
  current = group;
  for (const button of groupsRoot.querySelectorAll(".row-title-button")) {
    button.setAttribute("aria-pressed", String(button.closest("li")?.dataset.puid === group.puid));
  }
  clear(membersHead, el("div", { class: "d-flex align-items-center gap-2 mb-2" },
    avatar(group.avatar_url, displayName(group)),
    el("div", {}, el("div", { class: "fw-semibold", "data-testid": "members-of", text: displayName(group) }),
      group.member_count ? el("div", { class: "small text-secondary", text: t("member_count", { n: group.member_count }) })
        : null)));
  members = pagedList(membersRoot, {
    fetchPage: async (params) => {
      const result = await listMembers(group, params);
      const kept = result.items.filter((item) => !removed.has(`${group.puid}/${item.puid}`));
      result.total -= result.items.length - kept.length;
      result.items = kept;
      const hint = document.getElementById("owner-hint");
      if (hint) hint.hidden = !!result.is_owner;
      return result;
    },
    renderItem: renderMember,
    perPage: 50,
    searchLabel: t("search_members"),
    emptyText: t("empty"),
    selectable: true,
  });
  membersHead.append(el("p", { id: "owner-hint", class: "small text-secondary mb-2", hidden: true,
    text: t("not_owner_hint") }));
  clear(document.getElementById("member-selection"), selectionBar(members, { kind: "contact", onChanged: forgetLive }));
  members.reload(1);
  if (window.matchMedia("(max-width: 991px)").matches) {
    document.getElementById("members-card").scrollIntoView({ behavior: "smooth" });
  }
}

const groups = pagedList(groupsRoot, {
  fetchPage: (params) => listChats("groups", params),
  renderItem: renderGroup,
  searchLabel: groupsRoot.dataset.searchLabel,
  emptyText: t("no_groups"),
  selectable: true,
});
document.getElementById("selection").append(selectionBar(groups, { kind: "group", createGroup: false }));
clear(membersRoot, emptyState(t("pick_group"), { icon: "👥" }));
initSync(() => {
  forgetLive();
  groups.reload();
  members?.reload();
});
on("reset", () => groups.reload());
groups.reload(1);
