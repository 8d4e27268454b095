// Lists of contacts, groups, MPs and group members.
//
// The archive's paged API (`/api/contacts`, `/api/groups`, `/api/mps`, `/api/groups/<id>/members`) is the source.
// Where it is not installed (404), the bot's live lists (`/api/wechat/chats`, `/api/wechat/groups/<puid>/members`)
// stand in, searched and paged here, so the dashboard works with the bot alone. Results say `live: true` then.
import { ApiError, api, query } from "./core.js";

const LIVE_KIND = { contacts: "friends", groups: "groups", mps: "mps" };
const liveCache = new Map();
const missing = new Set();

async function liveList(kind) {
  if (!liveCache.has(kind)) {
    const promise = api("GET", `/api/wechat/chats${query({ kind: LIVE_KIND[kind] })}`)
      .then((data) => (data[LIVE_KIND[kind]] || []).map((chat) => ({
        puid: chat.puid, name: chat.name, nick_name: chat.name, is_friend: kind === "contacts",
        member_count: chat.member_count,
      })))
      .catch((error) => {
        liveCache.delete(kind);
        throw error;
      });
    liveCache.set(kind, promise);
  }
  return liveCache.get(kind);
}

function pageOf(items, { q = "", page = 1, per_page = 20 }) {
  const needle = q.trim().toLowerCase();
  const found = needle ? items.filter((item) => String(item.name || "").toLowerCase().includes(needle)) : items;
  const start = (page - 1) * per_page;
  return { items: found.slice(start, start + per_page), page, per_page, total: found.length, live: true };
}

/** A page of `kind` (contacts | groups | mps): `{items, page, per_page, total, live?}`. */
export async function listChats(kind, { q = "", page = 1, per_page = 20 } = {}) {
  if (!missing.has(kind)) {
    try {
      return await api("GET", `/api/${kind}${query({ q, page, per_page })}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      missing.add(kind);
    }
  }
  return pageOf(await liveList(kind), { q, page, per_page });
}

/** Forget the live lists (after a sync, a new group, a removal). */
export function forgetLive() {
  liveCache.clear();
}

/** A page of a group's members, plus whether the bot owns the group: `{items, ..., is_owner}`. */
export async function listMembers(group, { q = "", page = 1, per_page = 50 } = {}) {
  if (group.id !== undefined && group.id !== null && !missing.has("members")) {
    try {
      const result = await api("GET", `/api/groups/${encodeURIComponent(group.id)}/members${query({ q, page, per_page })}`);
      return { ...result, is_owner: result.is_owner ?? group.is_owner };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      missing.add("members");
    }
  }
  const live = await api("GET", `/api/wechat/groups/${encodeURIComponent(group.puid)}/members`);
  const members = (live.members || []).map((member) => ({ ...member, nick_name: member.name }));
  return { ...pageOf(members, { q, page, per_page }), is_owner: live.is_owner };
}

/** The name to show for a contact: remark name, then nick name. */
export function displayName(item) {
  return item.remark_name || item.display_name || item.name || item.nick_name || item.puid || "";
}
