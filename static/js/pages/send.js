// Send: recipients across contacts, groups and group members; text with emoji; images and files uploaded with a
// preview; then a send job with live progress (SSE `job`, and GET /api/jobs/<id>) that can be cancelled.
import { api, busy, confirmDialog, el, reportError, setProgress, t, toast } from "../core.js";
import { attachmentBox } from "../attachments.js";
import { EMOJI } from "../emoji.js";
import { on } from "../live.js";
import { recipientPicker } from "../recipients.js";

const FINAL = new Set(["done", "cancelled", "failed"]);
const text = document.getElementById("send-text");
const compose = document.getElementById("compose");
let job = null;
let pollTimer = null;

const picker = recipientPicker({
  panes: { contacts: document.getElementById("pane-contacts"), groups: document.getElementById("pane-groups"),
    members: document.getElementById("pane-members") },
  chips: document.getElementById("recipients"),
  count: document.getElementById("recipient-count"),
});
const recipients = picker.recipients;
const attachments = attachmentBox({ input: document.getElementById("send-files"),
  list: document.getElementById("attachments"), dropZone: compose });

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
  // Items a crash interrupted mid-send: maybe delivered, so never resent without the operator saying so.
  document.getElementById("job-uncertain").hidden = !(job.uncertain > 0);
  document.getElementById("job-uncertain-text").textContent = t("job_uncertain", { uncertain: job.uncertain || 0 });
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
    const files = await attachments.ids();
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
      attachments.clear();
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

const resendButton = document.getElementById("job-resend");
resendButton.addEventListener("click", async () => {
  if (!job || !(await confirmDialog(t("job_resend_confirm"), { danger: true }))) return;
  await busy(resendButton, async () => {
    try {
      renderJob((await api("POST", `/api/jobs/${job.id}/resend-uncertain`)).job);
      window.clearInterval(pollTimer);
      pollTimer = window.setInterval(poll, 2000);
    } catch (error) {
      reportError(error);
    }
  });
});

on("job", renderJob);
on("reset", poll);

// Recipients handed over from the contacts or groups page.
const handedOver = [];
try {
  for (const item of JSON.parse(window.sessionStorage.getItem("send.recipients") || "[]")) {
    if (item?.puid) handedOver.push({ puid: item.puid, name: item.name || item.puid, kind: item.kind });
  }
} catch {
  // a broken hand-over is no reason not to open the page
}
window.sessionStorage.removeItem("send.recipients");
if (handedOver.length) picker.set(handedOver);
else picker.render();
