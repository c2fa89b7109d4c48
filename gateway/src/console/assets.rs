//! The console's files, built into the binary so the page works offline and
//! always matches the gateway serving it. Only the files listed here are
//! served (not the page's tests or its node_modules).

/// The API's documentation page: Swagger UI on `/openapi.yaml`.
pub(super) const DOCS: &str = "/docs";

/// (path under `/console/`, contents).
const FILES: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../console/index.html")),
    ("console.css", include_bytes!("../../console/console.css")),
    ("console.js", include_bytes!("../../console/console.js")),
    ("api.js", include_bytes!("../../console/api.js")),
    ("traffic.js", include_bytes!("../../console/traffic.js")),
    (
        "vendor/uPlot.iife.min.js",
        include_bytes!("../../console/vendor/uPlot.iife.min.js"),
    ),
    (
        "vendor/uPlot.min.css",
        include_bytes!("../../console/vendor/uPlot.min.css"),
    ),
    ("docs.html", include_bytes!("../../console/docs.html")),
    ("docs.js", include_bytes!("../../console/docs.js")),
    (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        include_bytes!("../../console/vendor/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "vendor/swagger-ui/swagger-ui.css",
        include_bytes!("../../console/vendor/swagger-ui/swagger-ui.css"),
    ),
];

/// The file for a request path (`/console` and `/console/` are the page,
/// `/docs` the API's documentation) and its media type.
pub(super) fn find(path: &str) -> Option<(&'static [u8], &'static str)> {
    if path == DOCS {
        return find("/console/docs.html");
    }
    let name = match path.strip_prefix("/console")? {
        "" | "/" => "index.html",
        rest => rest.strip_prefix('/')?,
    };
    let (_, bytes) = FILES.iter().find(|(file, _)| *file == name)?;
    Some((bytes, media_type(name)))
}

fn media_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_are_served_and_nothing_else() {
        let (page, kind) = find("/console").unwrap();
        assert!(kind.starts_with("text/html"));
        assert_eq!(find("/console/").unwrap().0, page);
        assert!(
            find("/console/console.js")
                .unwrap()
                .1
                .starts_with("text/javascript")
        );
        assert!(find("/console/vendor/uPlot.iife.min.js").is_some());
        assert_eq!(
            find("/docs").unwrap().0,
            find("/console/docs.html").unwrap().0
        );
        for hidden in [
            "/console/test/browser.mjs",
            "/console/package.json",
            "/console/../Cargo.toml",
            "/consolex",
            "/console/nope.js",
        ] {
            assert!(find(hidden).is_none(), "{hidden}");
        }
    }
}
