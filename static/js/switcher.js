// The account switcher in the navigation bar: choosing an account stores it in the session
// (POST /api/accounts/current) and reloads the page, which then shows that account only.
import { api, toast } from "./core.js";

const select = document.getElementById("account-switch");
if (select) {
  select.addEventListener("change", async () => {
    try {
      await api("POST", "/api/accounts/current", { account_id: Number(select.value) });
    } catch (error) {
      toast(error.message, "danger");
      return;
    }
    window.location.reload();
  });
}
