//! The house rules of ARCHITECTURE.md, checked on the source tree so they
//! stay true: handlers (api.rs and page modules) reach no store, ledger or
//! diesel; services know nothing of actix's extractors; no area imports
//! another area's pages; no file grows past the size a reader can hold.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(rust_files(&p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The code of a file without its `#[cfg(test)]` module and comments.
fn code(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The area a file belongs to (`challenges`, `submissions`, …), if any.
fn area(p: &Path) -> Option<String> {
    let rel = p.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    // `src/app/` holds the route table, which names every handler.
    (rel.components().count() > 1 && first != "app").then_some(first)
}

fn is_handler(p: &Path) -> bool {
    let rel = p
        .strip_prefix(src())
        .unwrap_or(p)
        .to_string_lossy()
        .to_string();
    rel.ends_with("/api.rs") || rel.contains("/pages/") || rel.ends_with("/pages.rs")
}

fn is_page(p: &Path) -> bool {
    let rel = p
        .strip_prefix(src())
        .unwrap_or(p)
        .to_string_lossy()
        .to_string();
    rel.contains("/pages/") || rel.ends_with("/pages.rs")
}

#[test]
fn handlers_reach_no_store_ledger_or_diesel() {
    let mut bad = Vec::new();
    for p in rust_files(&src()).into_iter().filter(|p| is_handler(p)) {
        let c = code(&p);
        for (n, line) in c.lines().enumerate() {
            let l = line.trim();
            let reaches = l.contains("store::")
                || l.contains("ledger::")
                || l.contains("diesel::")
                || l.starts_with("use diesel")
                || l.contains("::store;")
                || l.contains("::store::{")
                || l.contains("store as ");
            if reaches {
                bad.push(format!("{}:{}: {l}", p.display(), n + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "handlers call services, not stores:\n{}",
        bad.join("\n")
    );
}

#[test]
fn services_do_not_depend_on_the_http_layer() {
    let mut bad = Vec::new();
    for p in rust_files(&src()) {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !matches!(name, "service.rs" | "queries.rs" | "model.rs" | "store.rs") {
            continue;
        }
        let c = code(&p);
        for needle in ["auth::extract", "actix_web", "HttpRequest", "HttpResponse"] {
            if c.contains(needle) {
                bad.push(format!("{} uses {needle}", p.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn no_area_imports_another_areas_pages() {
    let mut bad = Vec::new();
    for p in rust_files(&src()) {
        let Some(mine) = area(&p) else { continue };
        let c = code(&p);
        for other in [
            "auth",
            "orgs",
            "challenges",
            "submissions",
            "judging",
            "money",
            "notify",
        ] {
            if other == mine {
                continue;
            }
            if c.contains(&format!("{other}::pages")) {
                bad.push(format!("{} imports {other}::pages", p.display()));
            }
        }
        // Pages of one area may not be reached from its own services either.
        if !is_page(&p) && !p.ends_with("app.rs") && c.contains("pages::") && area(&p).is_some() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matches!(name, "service.rs" | "queries.rs" | "model.rs" | "store.rs") {
                bad.push(format!("{} reaches pages", p.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let mut long = Vec::new();
    for p in rust_files(&src()) {
        if p.ends_with("db/schema.rs") {
            continue;
        }
        let n = std::fs::read_to_string(&p)
            .unwrap_or_default()
            .lines()
            .count();
        if n > 800 {
            long.push(format!("{} has {n} lines", p.display()));
        }
    }
    assert!(
        long.is_empty(),
        "split these by use case:\n{}",
        long.join("\n")
    );
}

/// The OpenAPI component name of each `ToSchema` type: its `#[schema(as =
/// …)]` name or its own. Two types of one name would silently share one
/// schema in the document (one operation would describe the other's body).
#[test]
fn openapi_schema_names_are_unique() {
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in rust_files(&src()) {
        let text = code(&p);
        let mut pending: Option<Option<String>> = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                pending = Some(None);
                continue;
            }
            let Some(alias) = pending.as_mut() else {
                continue;
            };
            if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                *alias = rest.split([')', ',']).next().map(|s| s.trim().to_owned());
            }
            let decl = line
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(rest) = decl
                .strip_prefix("struct ")
                .or_else(|| decl.strip_prefix("enum "))
            {
                let own: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let name = alias.clone().unwrap_or(own);
                seen.entry(name).or_default().push(p.display().to_string());
                pending = None;
            }
        }
    }
    let clashes: Vec<String> = seen
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("{name}: {}", files.join(", ")))
        .collect();
    assert!(
        seen.len() > 50,
        "the scan found the schemas: {}",
        seen.len()
    );
    assert!(
        clashes.is_empty(),
        "give one of each a #[schema(as = …)] name:\n{}",
        clashes.join("\n")
    );
}
