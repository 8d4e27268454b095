// Contacts: search, paging, avatars; add a friend with a verification text; select many → send or create a group.
import { avatar, el, t } from "../core.js";
import { displayName, forgetLive, listChats } from "../data.js";
import { addFriend, pagedList, selectionBar, sendTo } from "../lists.js";
import { on } from "../live.js";
import { initSync } from "../sync.js";

const root = document.getElementById("contacts");

function renderContact(item, list) {
  const name = displayName(item);
  const secondary = [item.remark_name && item.nick_name !== item.remark_name ? item.nick_name : "",
    [item.province, item.city].filter(Boolean).join(" ")].filter(Boolean).join(" · ");
  const actions = el("div", { class: "row-actions" });
  if (item.is_friend === false) {
    const add = el("button", { type: "button", class: "btn btn-sm btn-outline-success", text: t("add_friend") });
    add.addEventListener("click", () => addFriend(item, add));
    actions.append(add);
  } else {
    actions.append(el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("send"),
      onclick: () => sendTo([item], "contact") }));
  }
  return [
    list.checkbox(item),
    avatar(item.avatar_url, name),
    el("div", { class: "row-main" },
      el("div", { class: "row-title" }, el("span", { class: "name", text: name }),
        item.is_friend ? el("span", { class: "badge badge-soft", text: t("friend") }) : null,
        item.is_blacklisted ? el("span", { class: "badge text-bg-danger", text: t("blacklisted") }) : null),
      secondary ? el("div", { class: "row-sub", text: secondary }) : null,
      item.signature ? el("div", { class: "row-sub text-truncate", text: item.signature }) : null),
    actions,
  ];
}

const list = pagedList(root, {
  fetchPage: (params) => listChats("contacts", params),
  renderItem: renderContact,
  searchLabel: root.dataset.searchLabel,
  emptyText: t("no_contacts"),
  selectable: true,
});
document.getElementById("selection").append(selectionBar(list, { kind: "contact", onChanged: forgetLive }));
initSync(() => {
  forgetLive();
  list.reload();
});
on("reset", () => list.reload());
list.reload(1);
