// Plugins: GET /api/plugins, PUT /api/plugins/<name> {"enabled"}; a clear "not available yet" on 404.
import { api, clear, el, emptyState, failure, loading, reportError, t, toast } from "../core.js";

const list = document.getElementById("plugins");

async function load() {
  clear(list, el("li", {}, loading()));
  let data;
  try {
    data = await api("GET", "/api/plugins");
  } catch (error) {
    clear(list, el("li", {}, failure(error, "/api/plugins")));
    return;
  }
  const items = Array.isArray(data) ? data : data.items || data.plugins || [];
  clear(list, items.length ? items.map((plugin) => {
    const id = `plugin-${String(plugin.name).replace(/[^\w-]/g, "_")}`;
    const toggle = el("input", { class: "form-check-input", type: "checkbox", role: "switch", id,
      checked: !!plugin.enabled });
    toggle.addEventListener("change", async () => {
      toggle.disabled = true;
      try {
        await api("PUT", `/api/plugins/${encodeURIComponent(plugin.name)}`, { enabled: toggle.checked });
        toast(`${plugin.name}: ${toggle.checked ? t("enabled") : t("disabled")}`);
      } catch (error) {
        toggle.checked = !toggle.checked;
        reportError(error);
      } finally {
        toggle.disabled = false;
      }
    });
    return el("li", { class: "chat-row" },
      el("div", { class: "row-main" },
        el("label", { class: "name", for: id, text: plugin.title || plugin.name }),
        plugin.description ? el("div", { class: "row-sub", text: plugin.description }) : null),
      el("div", { class: "form-check form-switch mb-0" }, toggle));
  }) : el("li", {}, emptyState(t("no_plugins"))));
}

load();
