// The language switch (navigation bar and sign-in page): remember the choice in a cookie and reload.
for (const button of document.querySelectorAll("[data-set-lang]")) {
  button.addEventListener("click", () => {
    const lang = button.dataset.setLang;
    document.cookie = `lang=${encodeURIComponent(lang)}; path=/; max-age=31536000; SameSite=Lax`;
    const url = new URL(window.location.href);
    url.searchParams.delete("lang");
    window.location.replace(url.href);
  });
}
