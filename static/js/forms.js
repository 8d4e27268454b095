// API 400 answers name the field at fault ({"error", "field"}): show the message next to that field.
import { ApiError, clear, el, reportError } from "./core.js";

/** Remove the marks of an earlier failed save. */
export function clearErrors(root) {
  for (const node of root.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
  for (const node of root.querySelectorAll(".invalid-feedback")) {
    node.textContent = "";
    node.classList.remove("d-block");
  }
  for (const node of root.querySelectorAll(".form-error")) clear(node);
}

/**
 * Show `error` next to the field it names: the control `#<prefix><field>` (or a holder) gets `is-invalid`, its
 * `#<prefix><field>-error` the message. `aliases` maps API field names to form ones. Without such a field the
 * message goes to `general` (an element), else to a toast. Returns true when it was shown in the form.
 */
export function showError(root, error, { prefix = "", aliases = {}, general = null } = {}) {
  const name = error instanceof ApiError && error.status === 400 ? String(error.data?.field || "") : "";
  const field = aliases[name] ?? name;
  const control = field ? root.querySelector(`#${CSS.escape(prefix + field)}`) : null;
  if (control) {
    control.classList.add("is-invalid");
    const feedback = root.querySelector(`#${CSS.escape(`${prefix}${field}-error`)}`);
    if (feedback) {
      feedback.textContent = error.message;
      feedback.classList.add("d-block");
    }
    if (typeof control.focus === "function" && control.matches("input, select, textarea")) control.focus();
    else control.scrollIntoView({ block: "center" });
    return true;
  }
  if (general) {
    clear(general, el("div", { class: "alert alert-danger py-2", role: "alert", text: error.message || String(error) }));
    return true;
  }
  reportError(error);
  return false;
}
