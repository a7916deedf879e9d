/* Swagger UI on the hub's own OpenAPI document; a signed-in user's token is pre-authorised. */
"use strict";

(() => {
  const ui = SwaggerUIBundle({
    url: Hub.config.api + "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: false,
    onComplete: () => {
      const token = Hub.token.get();
      if (token) ui.preauthorizeApiKey("bearer", token);
    },
  });
  window.hubSwaggerUI = ui;
})();
