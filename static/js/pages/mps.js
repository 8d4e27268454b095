// Official accounts (MPs) the bot follows: search, paging, signature; their articles are in Messages.
import { avatar, el, t } from "../core.js";
import { displayName, forgetLive, listChats } from "../data.js";
import { pagedList } from "../lists.js";
import { on } from "../live.js";
import { initSync } from "../sync.js";

const root = document.getElementById("mps");
const list = pagedList(root, {
  fetchPage: (params) => listChats("mps", params),
  renderItem: (item) => [
    avatar(item.avatar_url, displayName(item)),
    el("div", { class: "row-main" },
      el("div", { class: "row-title" }, el("span", { class: "name", text: displayName(item) })),
      item.signature ? el("div", { class: "row-sub text-truncate", text: item.signature }) : null),
    el("div", { class: "row-actions" }, el("a", { class: "btn btn-sm btn-outline-secondary",
      href: `/messages?chat=${encodeURIComponent(item.puid)}`, text: t("articles") })),
  ],
  searchLabel: root.dataset.searchLabel,
  emptyText: t("no_mps"),
});
initSync(() => {
  forgetLive();
  list.reload();
});
on("reset", () => list.reload());
list.reload(1);
