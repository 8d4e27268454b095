// Images and files for a message (Send and Schedules pages): each is uploaded at once (POST /api/uploads) and shown
// with a preview; `ids()` waits for the uploads and gives the upload ids that are ready.
import { api, el, formatSize, t } from "./core.js";

/** input: <input type=file multiple>, list: the <ul> of attachments, dropZone: where files may be dropped. */
export function attachmentBox({ input, list, dropZone }) {
  const attachments = []; // {file?, upload?, state, node, promise}

  function removeEntry(entry) {
    attachments.splice(attachments.indexOf(entry), 1);
    entry.node.remove();
    if (entry.objectUrl) URL.revokeObjectURL(entry.objectUrl);
  }

  function renderEntry(entry, name, size, isImage) {
    if (isImage && entry.file) entry.objectUrl = URL.createObjectURL(entry.file);
    const preview = entry.objectUrl ? el("img", { class: "attachment-preview", alt: "", src: entry.objectUrl })
      : el("span", { class: "attachment-preview file-icon", "aria-hidden": "true", text: isImage ? "🖼" : "📄" });
    const state = el("span", { class: "small text-secondary attachment-state" });
    entry.node = el("li", { class: "attachment", "data-name": name }, preview,
      el("div", { class: "row-main" }, el("div", { class: "text-truncate", text: name }),
        el("div", {}, el("span", { class: "small text-secondary", text: size }), " ", state)),
      el("button", { type: "button", class: "btn-close", "aria-label": `${t("remove")}: ${name}`,
        onclick: () => removeEntry(entry) }));
    entry.stateNode = state;
    list.append(entry.node);
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
      renderEntry(entry, file.name, formatSize(file.size), file.type.startsWith("image/"));
      entry.promise = upload(entry);
    }
  }

  input.addEventListener("change", () => {
    addFiles([...input.files]);
    input.value = "";
  });
  dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("is-dragging");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("is-dragging"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("is-dragging");
    addFiles([...event.dataTransfer.files]);
  });

  return {
    /** Attach files from elsewhere (a paste). */
    add: addFiles,
    /** The upload ids of the files that are ready (after waiting for those still uploading). */
    async ids() {
      await Promise.all(attachments.map((entry) => entry.promise));
      return attachments.filter((entry) => entry.state === "ready").map((entry) => entry.upload.id);
    },
    /** Show uploads that already exist (a schedule being edited): only their ids are known. */
    setExisting(ids) {
      this.clear();
      for (const id of ids) {
        const entry = { state: "ready", upload: { id }, promise: Promise.resolve() };
        attachments.push(entry);
        renderEntry(entry, t("uploaded_file"), "", false);
        entry.stateNode.textContent = "✓";
        entry.node.dataset.uploadId = id;
        api("GET", `/api/uploads/${encodeURIComponent(id)}`).then((meta) => {
          entry.node.querySelector(".text-truncate").textContent = meta.name || id;
          entry.node.dataset.name = meta.name || id;
          entry.node.querySelector(".small").textContent = formatSize(meta.size);
        }).catch(() => {
          entry.stateNode.textContent = t("upload_missing");
          entry.stateNode.classList.add("text-danger");
        });
      }
    },
    clear() {
      for (const entry of attachments.slice()) removeEntry(entry);
    },
  };
}
