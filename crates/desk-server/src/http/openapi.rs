//! `/v1/openapi.json`: the contract other clients rely on, generated from the routes themselves
//! (`super::api`), then made to follow the rules below, so that a handler's description only has
//! to say what is particular to it.
//!
//! The rules every operation follows (checked by the test at the bottom, over the whole document):
//! - every error answer (4xx, 5xx) is an RFC 9457 problem, `application/problem+json`, `Problem`;
//! - an operation with a bearer or webhook secret answers 401; one with a JSON body answers 400
//!   (`malformed_json`), 413, 415 and 422; one with parameters answers 422 (`invalid_input`); one
//!   with path parameters answers 404; one that takes an `Idempotency-Key` answers 400 without it
//!   and 409 when it was used for another request; every operation may answer 500 (`internal`);
//! - a 429 carries `Retry-After` (seconds);
//! - operation ids are unique.
//!
//! A handler lists the answers particular to it (its 2xx, and a 403, 404, 409 or 429 with a
//! description saying which `code`); the rest is added here.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recovery Desk API",
        version = "1",
        description = "The service behind the Recovery Desk console. Errors are RFC 9457 problem documents \
                       (`application/problem+json`) with a stable `code`."
    ),
    components(schemas(desk_api::Problem, desk_api::ErrorCode, desk_api::ExportFormat)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "webhook_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Webhook-Secret",
                "The shared secret configured as `mail_webhook_secret`",
            ))),
        );
    }
}

/// The document as served: generated once, with the rules applied.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = super::api().split_for_parts();
        let mut doc = serde_json::to_value(doc).expect("the OpenAPI document serialises");
        refine_schemas(&mut doc);
        refine_operations(&mut doc);
        apply_rules(&mut doc);
        doc
    })
}

/// This document: the OpenAPI 3.1 description of every `/v1` route.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json",
               body = Object)))]
pub async fn serve() -> Json<&'static Value> {
    Json(document())
}

/// What the request types' derived schemas cannot say: the text rules their handlers apply
/// (`desk_api::patterns` names the Rust rule of each), and which fields one value of another needs.
fn refine_schemas(doc: &mut Value) {
    use desk_api::patterns::*;
    let schemas = &mut doc["components"]["schemas"];
    let ticket = json!({ "type": "string", "minLength": 1, "maxLength": 64, "pattern": TICKET,
                         "description": "The support ticket this action answers, e.g. `SUP-12345`" });
    let reset = &mut schemas["ResetRequest"];
    reset["properties"]["ticket"] = ticket.clone();
    reset["properties"]["note"]["maxLength"] = json!(1000);
    // The reason `other` needs a note that says why.
    reset["if"] = json!({ "properties": { "reason": { "const": "other" } }, "required": ["reason"] });
    reset["then"] =
        json!({ "required": ["note"], "properties": { "note": { "type": "string", "pattern": NOT_BLANK } } });
    let reveal = &mut schemas["RevealRequest"];
    reveal["properties"]["ticket"] = ticket;
    reveal["properties"]["reason"] = json!({ "type": "string", "minLength": 10, "maxLength": 500, "pattern": TRIMMED,
                                             "description": "Why the full address is needed" });
    schemas["AddressCheckRequest"]["properties"]["address"] =
        json!({ "type": "string", "maxLength": 254, "pattern": EMAIL });
    let note = json!({ "type": "string", "maxLength": 2000, "pattern": NOT_BLANK });
    schemas["NoteRequest"]["properties"]["text"] = note.clone();
    let decision = &mut schemas["DecisionRequest"];
    decision["properties"]["note"] = note;
    decision["properties"]["message"]["maxLength"] = json!(2000);
    // Asking the user for more information needs the question to send them.
    decision["if"] = json!({ "properties": { "decision": { "const": "need_info" } }, "required": ["decision"] });
    decision["then"] =
        json!({ "required": ["message"], "properties": { "message": { "type": "string", "pattern": NOT_BLANK } } });
    schemas["MailEvent"]["properties"]["email_id"]["minimum"] = json!(1);
    schemas["CallerCodeRequest"]["properties"]["code"] = json!({ "type": "string", "minLength": 1, "maxLength": 32,
        "pattern": NOT_BLANK, "description": "What the caller reads out" });
}

/// What one operation takes beyond its shared request type: ending every session is only for a
/// suspected compromise.
fn refine_operations(doc: &mut Value) {
    let body =
        &mut doc["paths"]["/v1/accounts/{id}/end-sessions"]["post"]["requestBody"]["content"]["application/json"];
    body["schema"] = json!({ "allOf": [
        { "$ref": "#/components/schemas/ResetRequest" },
        { "properties": { "reason": { "const": "suspected_compromise" } }, "required": ["reason"] }
    ] });
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// Adds `status` unless the handler described it already.
fn add(responses: &mut Map<String, Value>, status: u16, description: &str) {
    responses.entry(status.to_string()).or_insert_with(|| problem(description));
}

fn apply_rules(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                apply_operation_rules(op);
            }
        }
    }
}

fn apply_operation_rules(op: &mut Value) {
    let params: Vec<(String, String)> = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| (p["in"].as_str().unwrap_or("").to_string(), p["name"].as_str().unwrap_or("").to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    let secured =
        op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|r| !r.is_empty())));
    let body = op.get("requestBody").is_some();
    let idempotent = params.iter().any(|(at, name)| at == "header" && name == "idempotency-key");
    let responses = op["responses"].as_object_mut().expect("every operation has responses");
    if secured {
        add(responses, 401, "`unauthorized` (no or an unknown credential) or `session_expired`");
    }
    if body || idempotent {
        let what = match (body, idempotent) {
            (true, true) => {
                "`malformed_json`: the body is not the JSON this operation takes; \
                             `idempotency_key_missing`: no or a malformed `Idempotency-Key`"
            }
            (true, false) => "`malformed_json`: the body is not the JSON this operation takes",
            _ => "`idempotency_key_missing`: no or a malformed `Idempotency-Key`",
        };
        add(responses, 400, what);
    }
    if body {
        add(responses, 413, "`payload_too_large`");
        add(responses, 415, "`unsupported_media_type`: send `Content-Type: application/json`");
    }
    if body || !params.is_empty() {
        add(responses, 422, "`invalid_input`: `field` names what is wrong");
    }
    if idempotent {
        let reused = "`idempotency_key_reused`: the key was used for another request";
        match responses.get_mut("409") {
            Some(r) => {
                let d = r["description"].as_str().unwrap_or("").to_string();
                r["description"] = json!(if d.is_empty() { reused.to_string() } else { format!("{d}; {reused}") });
            }
            None => add(responses, 409, reused),
        }
    }
    if params.iter().any(|(at, _)| at == "path") {
        add(responses, 404, "`not_found`");
    }
    add(responses, 408, "`timeout`: no answer within the service's `request_timeout_secs`");
    add(responses, 500, "`internal`: something failed inside the service; the details are in its log");
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = problem("")["content"].clone();
        }
        if status == "429" {
            response["headers"]["Retry-After"] = json!({
                "description": "Seconds until the action may be tried again",
                "required": true,
                "schema": { "type": "integer", "minimum": 1 }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Every operation of the served document against the rules of the module header, so that a new
    /// route whose description breaks one fails here, naming it.
    #[test]
    fn every_operation_follows_the_contract_rules() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let mut ids = HashSet::new();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            assert!(path.starts_with("/v1/"), "{path} is outside /v1");
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                operations += 1;
                let name = format!("{} {path}", method.to_uppercase());
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{name} has no operationId"));
                assert!(ids.insert(id.to_string()), "{name}: operationId {id} is used twice");
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.keys().any(|s| s.starts_with('2')), "{name} documents no success");
                for (status, r) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = r["content"].as_object().unwrap_or_else(|| panic!("{name} {status}: no content"));
                        assert_eq!(content.keys().collect::<Vec<_>>(), [PROBLEM_JSON], "{name} {status}");
                        assert_eq!(content[PROBLEM_JSON]["schema"]["$ref"], "#/components/schemas/Problem");
                    }
                }
                let has = |s: &str| responses.contains_key(s);
                let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
                let params = op["parameters"].as_array().map(Vec::len).unwrap_or(0);
                assert!(!secured || has("401"), "{name} is secured but documents no 401");
                if op.get("requestBody").is_some() {
                    for s in ["400", "413", "415", "422"] {
                        assert!(has(s), "{name} takes a body but documents no {s}");
                    }
                }
                assert!(params == 0 || has("422"), "{name} has parameters but documents no 422");
                assert!(has("500"), "{name} documents no 500");
                if let Some(r) = responses.get("429") {
                    assert!(r["headers"]["Retry-After"].is_object(), "{name}: 429 without Retry-After");
                }
            }
        }
        assert!(operations >= 28, "only {operations} operations documented");
    }
}
