//! The dashboard's files over plain HTTP (no browser): each served with its type and the security headers,
//! the page without its slash redirected, anything else a 404, only GET and HEAD; the files open to all,
//! every control call the page makes refused without the token.

mod common;

use common::{Reply, Server, start};
use reqwest::{Method, StatusCode};
use std::collections::BTreeSet;

/// The headers every dashboard answer carries, whatever its status.
fn assert_guarded(reply: &Reply, what: &str) {
    let csp = reply
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(csp.starts_with("default-src 'self'"), "{what}: CSP {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: CSP {csp}"
    );
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        reply.header("cache-control").as_deref(),
        Some("no-store"),
        "{what}"
    );
}

/// A request without following redirects (the harness's client follows them).
async fn raw(server: &Server, method: Method, path: &str) -> Reply {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .request(method, server.url(path))
        .send()
        .await
        .unwrap();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

#[tokio::test]
async fn every_file_is_served_with_its_type_and_the_security_headers() {
    let server = start().await;
    let files = [
        (
            "/_bulkforce/ui/",
            "text/html; charset=utf-8",
            "<!doctype html>",
        ),
        (
            "/_bulkforce/ui/index.html",
            "text/html; charset=utf-8",
            "<!doctype html>",
        ),
        (
            "/_bulkforce/ui/app.js",
            "text/javascript; charset=utf-8",
            "import ",
        ),
        (
            "/_bulkforce/ui/jobs.js",
            "text/javascript; charset=utf-8",
            "export ",
        ),
        ("/_bulkforce/ui/app.css", "text/css; charset=utf-8", ":root"),
        ("/_bulkforce/ui/favicon.svg", "image/svg+xml", "<svg"),
    ];
    for (path, content_type, start) in files {
        // No token: the files are open (the calls they make are not).
        let reply = server.control(Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some(content_type),
            "{path}"
        );
        assert!(reply.text().contains(start), "{path}: {}", reply.text());
        assert_guarded(&reply, path);

        let head = server.control(Method::HEAD, path, None).await;
        assert_eq!(head.status, StatusCode::OK, "HEAD {path}");
        assert_eq!(
            head.header("content-type").as_deref(),
            Some(content_type),
            "HEAD {path}"
        );
        assert!(head.body.is_empty(), "HEAD {path} answered a body");
        assert_guarded(&head, &format!("HEAD {path}"));
    }
}

#[tokio::test]
async fn the_page_loads_only_its_own_files_and_runs_no_inline_code() {
    let server = start().await;
    let page = server
        .control(Method::GET, "/_bulkforce/ui/", None)
        .await
        .text();
    // What the page refers to is served (relative URLs, so they resolve under /_bulkforce/ui/).
    for file in ["app.js", "app.css", "favicon.svg"] {
        assert!(
            page.contains(&format!("\"{file}\"")),
            "the page loads {file}"
        );
        let reply = server
            .control(Method::GET, &format!("/_bulkforce/ui/{file}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
    }
    // The CSP forbids inline code, so the page has none that would silently not run.
    let lower = page.to_ascii_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        lower.matches("<script type=\"module\" src=").count(),
        "every script is a module file"
    );
    for inline in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " style=",
        "<style",
        "javascript:",
    ] {
        assert!(!lower.contains(inline), "no inline {inline} in the page");
    }
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "nothing from elsewhere"
    );
    let page_script = r#"<script type="module" src="app.js"></script>"#;
    assert!(page.contains(page_script), "the page starts its modules");
    for (module, script) in modules(&server).await {
        for markup in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(
                !script.contains(markup),
                "{module}: server text is never parsed as HTML: {markup}"
            );
        }
    }
}

/// The page's modules, from app.js through their relative imports (`from './x.js'`), each checked served
/// as JavaScript with the dashboard's headers: (name, text), in the order found.
async fn modules(server: &Server) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut waiting = vec!["app.js".to_owned()];
    while let Some(module) = waiting.pop() {
        if found.iter().any(|(name, _)| *name == module) {
            continue;
        }
        let reply = server
            .control(Method::GET, &format!("/_bulkforce/ui/{module}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{module} is served");
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("text/javascript; charset=utf-8"),
            "{module}"
        );
        assert_guarded(&reply, &module);
        let text = reply.text();
        for (at, from) in text.match_indices("from './") {
            let rest = &text[at + from.len()..];
            let imported = &rest[..rest.find('\'').expect("a closing quote")];
            waiting.push(imported.to_owned());
        }
        found.push((module, text));
    }
    found
}

#[tokio::test]
async fn the_modules_the_page_imports_are_all_served() {
    let server = start().await;
    let mut names: Vec<String> = modules(&server)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "api.js",
            "app.js",
            "clock.js",
            "data.js",
            "dom.js",
            "faults.js",
            "job.js",
            "jobs.js",
            "orgs.js",
            "requests.js",
        ]
    );
}

#[tokio::test]
async fn the_page_without_its_slash_is_redirected_and_anything_else_is_not_found() {
    let server = start().await;
    for method in [Method::GET, Method::HEAD] {
        let reply = raw(&server, method.clone(), "/_bulkforce/ui").await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "{method}");
        assert_eq!(
            reply.header("location").as_deref(),
            Some("/_bulkforce/ui/"),
            "{method}"
        );
        assert_guarded(&reply, "redirect");
    }
    for path in [
        "/_bulkforce/ui/nope.js",
        "/_bulkforce/ui/app.js/more",
        "/_bulkforce/ui/APP.JS",
        "/_bulkforce/ui/.env",
        "/_bulkforce/ui/%2e%2e%2fhealth",
    ] {
        let reply = raw(&server, Method::GET, path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text()
        );
        assert_eq!(reply.json()["errorCode"], "NOT_FOUND", "{path}");
        assert_guarded(&reply, path);
    }
}

#[tokio::test]
async fn the_files_allow_only_get_and_head() {
    let server = start().await;
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let reply = server
            .control(method.clone(), "/_bulkforce/ui/app.js", None)
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(
            reply.header("allow").as_deref(),
            Some("GET, HEAD"),
            "{method}"
        );
        assert_guarded(&reply, &format!("{method}"));
    }
}

/// The control families the page calls, read from its script: `/_bulkforce/<family>`.
fn families_called(script: &str) -> BTreeSet<String> {
    script
        .match_indices("/_bulkforce/")
        .map(|(at, prefix)| {
            script[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_lowercase)
                .collect::<String>()
        })
        .filter(|family| !family.is_empty())
        .collect()
}

#[tokio::test]
async fn every_call_the_page_makes_needs_the_token() {
    let server = start().await;
    let script: String = modules(&server)
        .await
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let families = families_called(&script);
    let expected = [
        "clock",
        "faults",
        "jobs",
        "orgs",
        "requests",
        "reset",
        "snapshots",
    ];
    assert_eq!(
        families,
        expected.iter().map(|s| (*s).to_owned()).collect(),
        "the families the page calls"
    );
    for family in &families {
        let path = format!("/_bulkforce/{family}");
        for token in [None, Some("not-a-token")] {
            let reply = server.control(Method::GET, &path, token).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{path} with {token:?}: {}",
                reply.text()
            );
            assert_eq!(reply.json()["errorCode"], "UNAUTHORIZED", "{path}");
        }
    }
    // The call the token dialog checks a token with answers it.
    let token = server.token().to_owned();
    let reply = server
        .control(Method::GET, "/_bulkforce/requests?limit=1", Some(&token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(script.contains("/_bulkforce/requests?limit=1"));
}
