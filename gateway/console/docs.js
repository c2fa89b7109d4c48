// The API's documentation at /docs: Swagger UI (vendored, so it works
// offline) rendering the contract the gateway serves at /openapi.yaml.
window.SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#docs", deepLinking: true });
