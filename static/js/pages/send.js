// Send: recipients across contacts, groups and group members; text with emoji; images and files uploaded with a
// preview; then a send job with live progress (SSE `job`, and GET /api/jobs/<id>) that can be cancelled.
import {
  api, avatar, busy, clear, confirmDialog, el, formatSize, reportError, setProgress, t, toast,
} from "../core.js";
import { displayName, listChats, listMembers } from "../data.js";
import { EMOJI } from "../emoji.js";
import { pagedList } from "../lists.js";
import { on } from "../live.js";

const FINAL = new Set(["done", "cancelled", "failed"]);
const recipients = new Map(); // puid → {puid, name, kind}
const attachments = []; // {file, upload?, state, node}
const lists = [];
const text = document.getElementById("send-text");
let job = null;
let pollTimer = null;

// -- recipients -------------------------------------------------------------------------------------------------
function renderRecipients() {
  const holder = document.getElementById("recipients");
  clear(holder, [...recipients.values()].map((item) => el("li", { class: "chip", "data-puid": item.puid },
    el("span", { class: `chip-kind kind-${item.kind}`, "aria-hidden": "true",
      text: item.kind === "group" ? "群" : "人" }),
    el("span", { class: "text-truncate", text: item.name }),
    el("button", { type: "button", class: "btn-close btn-close-sm", "aria-label": `${t("remove")}: ${item.name}`,
      onclick: () => {
        recipients.delete(item.puid);
        syncChecks();
      } }))));
  document.getElementById("recipient-count").textContent = t("recipients_count", { n: recipients.size });
}

function syncChecks() {
  renderRecipients();
  for (const list of lists) list.reload();
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
  list.onSelect = renderRecipients;
  lists.push(list);
  return list;
}

const contacts = pickable(document.getElementById("pane-contacts"), "contact",
  (params) => listChats("contacts", params));
const groups = pickable(document.getElementById("pane-groups"), "group", (params) => listChats("groups", params));

// Group members: pick a group first, then its members.
const membersPane = document.getElementById("pane-members");
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
document.getElementById("tab-members").addEventListener("shown.bs.tab", () => {
  if (!membersPane.childElementCount) showGroupPicker();
}, { once: true });

// -- emoji ----------------------------------------------------------------------------------------------------
const grid = document.getElementById("emoji-grid");
for (const emoji of EMOJI) {
  grid.append(el("button", { type: "button", class: "emoji", text: emoji, "aria-label": emoji, onclick: () => {
    const start = text.selectionStart ?? text.value.length;
    const end = text.selectionEnd ?? text.value.length;
    text.setRangeText(emoji, start, end, "end");
    text.focus();
  } }));
}

// -- attachments ----------------------------------------------------------------------------------------------
function renderAttachment(entry) {
  const isImage = entry.file.type.startsWith("image/");
  const preview = isImage ? el("img", { class: "attachment-preview", alt: "", src: URL.createObjectURL(entry.file) })
    : el("span", { class: "attachment-preview file-icon", "aria-hidden": "true", text: "📄" });
  const state = el("span", { class: "small text-secondary attachment-state" });
  const remove = el("button", { type: "button", class: "btn-close", "aria-label": `${t("remove")}: ${entry.file.name}`,
    onclick: () => {
      attachments.splice(attachments.indexOf(entry), 1);
      entry.node.remove();
      if (isImage) URL.revokeObjectURL(preview.src);
    } });
  entry.node = el("li", { class: "attachment", "data-name": entry.file.name }, preview,
    el("div", { class: "row-main" }, el("div", { class: "text-truncate", text: entry.file.name }),
      el("div", {}, el("span", { class: "small text-secondary", text: formatSize(entry.file.size) }), " ", state)),
    remove);
  entry.stateNode = state;
  return entry.node;
}

async function upload(entry) {
  entry.state = "uploading";
  entry.stateNode.textContent = t("uploading");
  const form = new FormData();
  form.append("file", entry.file, entry.file.name);
  try {
    const result = await api("POST", "/api/uploads", form);
    entry.upload = result.uploads[0];
    entry.state = "ready";
    entry.stateNode.textContent = "✓";
    entry.node.dataset.uploadId = entry.upload.id;
  } catch (error) {
    entry.state = "failed";
    entry.stateNode.textContent = `${t("upload_failed")}: ${error.message}`;
    entry.stateNode.classList.add("text-danger");
  }
}

function addFiles(files) {
  for (const file of files) {
    const entry = { file, state: "new" };
    attachments.push(entry);
    document.getElementById("attachments").append(renderAttachment(entry));
    entry.promise = upload(entry);
  }
}

const fileInput = document.getElementById("send-files");
fileInput.addEventListener("change", () => {
  addFiles([...fileInput.files]);
  fileInput.value = "";
});
const compose = document.getElementById("compose");
compose.addEventListener("dragover", (event) => {
  event.preventDefault();
  compose.classList.add("is-dragging");
});
compose.addEventListener("dragleave", () => compose.classList.remove("is-dragging"));
compose.addEventListener("drop", (event) => {
  event.preventDefault();
  compose.classList.remove("is-dragging");
  addFiles([...event.dataTransfer.files]);
});

// -- the send job ---------------------------------------------------------------------------------------------
function renderJob(data) {
  if (!job || data.id !== job.id) return;
  job = { ...job, ...data };
  const card = document.getElementById("job");
  card.hidden = false;
  card.dataset.status = job.status;
  const status = document.getElementById("job-status");
  status.textContent = t(`job_${job.status}`);
  status.className = `badge ${job.status === "done" ? "text-bg-success" : job.status === "failed" ? "text-bg-danger"
    : job.status === "cancelled" ? "text-bg-secondary" : "text-bg-info"}`;
  const bar = document.getElementById("job-bar");
  setProgress(bar, (job.sent || 0) + (job.failed || 0), job.total || 0);
  bar.classList.toggle("progress-bar-animated", !FINAL.has(job.status));
  document.getElementById("job-text").textContent = t("job_progress",
    { sent: job.sent || 0, total: job.total || 0, failed: job.failed || 0 });
  document.getElementById("job-cancel").hidden = FINAL.has(job.status);
  if (FINAL.has(job.status)) {
    window.clearInterval(pollTimer);
    if (job.status === "done") toast(t("job_progress", { sent: job.sent, total: job.total, failed: job.failed }));
    else if (job.status === "failed") toast(job.error || t("job_failed"), "danger");
  }
}

async function poll() {
  if (!job) return;
  try {
    renderJob(await api("GET", `/api/jobs/${job.id}`));
  } catch (error) {
    console.warn(error);
  }
}

compose.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("send-button");
  if (!recipients.size) {
    toast(t("pick_recipients"), "warning");
    return;
  }
  await busy(button, async () => {
    await Promise.all(attachments.map((entry) => entry.promise));
    const files = attachments.filter((entry) => entry.state === "ready").map((entry) => entry.upload.id);
    if (!text.value.trim() && !files.length) {
      toast(t("nothing_to_send"), "warning");
      return;
    }
    try {
      const result = await api("POST", "/api/messages/send", { to: [...recipients.keys()], text: text.value, files });
      job = result.job;
      renderJob(result.job);
      window.clearInterval(pollTimer);
      pollTimer = window.setInterval(poll, 2000);
      text.value = "";
      for (const entry of attachments.splice(0)) entry.node.remove();
    } catch (error) {
      reportError(error);
    }
  });
});

const cancelButton = document.getElementById("job-cancel");
cancelButton.addEventListener("click", async () => {
  if (!job || !(await confirmDialog(t("job_cancel_confirm"), { danger: true }))) return;
  await busy(cancelButton, async () => {
    try {
      renderJob((await api("POST", `/api/jobs/${job.id}/cancel`)).job);
    } catch (error) {
      reportError(error);
    }
  });
});

on("job", renderJob);
on("reset", poll);

// Recipients handed over from the contacts or groups page.
try {
  for (const item of JSON.parse(window.sessionStorage.getItem("send.recipients") || "[]")) {
    if (item?.puid) recipients.set(item.puid, { puid: item.puid, name: item.name || item.puid, kind: item.kind });
  }
} catch {
  // a broken hand-over is no reason not to open the page
}
window.sessionStorage.removeItem("send.recipients");
renderRecipients();
contacts.reload(1);
groups.reload(1);
