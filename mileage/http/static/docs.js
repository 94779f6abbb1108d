// Start Swagger UI on the API docs page; its settings come from the page (flask-smorest's OPENAPI_SWAGGER_UI_CONFIG).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.getAttribute("data-config") || "{}");
  config.url = container.getAttribute("data-spec-url");
  config.dom_id = "#swagger-ui-container";
  config.presets = [SwaggerUIBundle.presets.apis];
  window.ui = SwaggerUIBundle(config);
})();
