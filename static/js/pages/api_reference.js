// The API reference page: Swagger UI (static/vendor/swagger-ui) over the document generated from the routes' models
// (GET /api/openapi.json, read with this session). "Try it out" sends the session's CSRF token like core.js does.
const root = document.getElementById("swagger-ui");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

window.SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null,  // no badge fetched from swagger.io: nothing leaves this server
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  requestInterceptor(request) {
    const method = (request.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") request.headers["X-CSRFToken"] = csrfToken;
    return request;
  },
});
