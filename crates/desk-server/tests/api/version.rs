//! `GET /v1/version`: the service names its release, the one version number of the workspace.

use reqwest::Method;

use crate::helpers::TestApp;

#[tokio::test]
async fn version_names_the_workspace_release_without_a_session() {
    let app = TestApp::spawn().await;
    let a = app.send(app.req(Method::GET, "/v1/version")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    // The console is built from the same workspace version: the About box compares the two.
    assert_eq!(a.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(a.body["api"], "v1");
    assert_eq!(a.body.as_object().unwrap().len(), 2, "nothing else is disclosed: {}", a.text);
}

#[tokio::test]
async fn openapi_document_describes_the_version_answer() {
    let app = TestApp::spawn().await;
    let doc = app.send(app.req(Method::GET, "/v1/openapi.json")).await;
    let ok = &doc.body["paths"]["/v1/version"]["get"]["responses"]["200"];
    assert_eq!(ok["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ServiceVersion", "{ok}");
    let schema = &doc.body["components"]["schemas"]["ServiceVersion"];
    assert_eq!(schema["required"], serde_json::json!(["version", "api"]), "{schema}");
}
