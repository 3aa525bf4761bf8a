//! The translation layer: every user-facing string is a key looked up here.
//!
//! Catalogues are flat TOML files, `frontend/locales/<lang>.toml` plus one
//! file per area (`<lang>-challenges.toml`, `<lang>-manage.toml`, `<lang>-submissions.toml`,
//! `<lang>-judging.toml`, `<lang>-payouts.toml`, `<lang>-money.toml`), embedded in
//! the binary and merged. `{name}` placeholders are filled by [`Tr::fmt`]. A test keeps the
//! catalogues in step and checks that every key a template uses exists.

use std::collections::HashMap;
use std::sync::OnceLock;

pub use crate::auth::model::Language;

type Catalogue = HashMap<String, String>;

fn load(sources: &[&str]) -> Catalogue {
    // The files are ours and checked by tests; a broken one must not take the
    // server down, so it falls back to showing keys.
    let mut all = HashMap::new();
    for src in sources {
        match toml::from_str::<Catalogue>(src) {
            Ok(c) => all.extend(c),
            Err(e) => tracing::error!(error = %e, "locale catalogue does not parse"),
        }
    }
    all
}

/// The raw catalogue of a language.
pub fn catalogue(lang: Language) -> &'static Catalogue {
    static EN: OnceLock<Catalogue> = OnceLock::new();
    static FR: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Language::En => EN.get_or_init(|| {
            load(&[
                include_str!("../frontend/locales/en.toml"),
                include_str!("../frontend/locales/en-challenges.toml"),
                include_str!("../frontend/locales/en-manage.toml"),
                include_str!("../frontend/locales/en-submissions.toml"),
                include_str!("../frontend/locales/en-judging.toml"),
                include_str!("../frontend/locales/en-payouts.toml"),
                include_str!("../frontend/locales/en-money.toml"),
            ])
        }),
        Language::Fr => FR.get_or_init(|| {
            load(&[
                include_str!("../frontend/locales/fr.toml"),
                include_str!("../frontend/locales/fr-challenges.toml"),
                include_str!("../frontend/locales/fr-manage.toml"),
                include_str!("../frontend/locales/fr-submissions.toml"),
                include_str!("../frontend/locales/fr-judging.toml"),
                include_str!("../frontend/locales/fr-payouts.toml"),
                include_str!("../frontend/locales/fr-money.toml"),
            ])
        }),
    }
}

/// A translator for one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Self {
        Tr { lang }
    }

    /// The text of `key`, falling back to English, then to the key itself.
    pub fn get<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        catalogue(self.lang)
            .get(key)
            .or_else(|| catalogue(Language::En).get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text of a key made at run time, if the catalogue has it.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        catalogue(self.lang)
            .get(key)
            .or_else(|| catalogue(Language::En).get(key))
            .map(String::as_str)
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.get(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// The language code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let en = catalogue(Language::En);
        let fr = catalogue(Language::Fr);
        assert!(!en.is_empty());
        let mut missing_fr: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
        let mut missing_en: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        missing_fr.sort();
        missing_en.sort();
        assert!(missing_fr.is_empty(), "missing in fr.toml: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in en.toml: {missing_en:?}");
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let en = catalogue(Language::En);
        let mut missing = Vec::new();
        let mut files = Vec::new();
        collect(std::path::Path::new("frontend/templates"), &mut files);
        collect(std::path::Path::new("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for pat in ["t.get(\"", "t.fmt(\"", "tr.get(\"", "tr.fmt(\""] {
                for part in text.split(pat).skip(1) {
                    let key = part.split('"').next().unwrap_or("");
                    if !key.is_empty() && !key.contains('{') && !en.contains_key(key) {
                        missing.push(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from en.toml: {missing:#?}"
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    collect(&p, out);
                } else if p != std::path::Path::new("src/i18n.rs") {
                    out.push(p);
                }
            }
        }
    }

    #[test]
    fn no_key_is_defined_twice_across_files() {
        for lang in ["en", "fr"] {
            let mut seen = std::collections::HashSet::new();
            for suffix in [
                "",
                "-challenges",
                "-manage",
                "-submissions",
                "-judging",
                "-payouts",
                "-money",
            ] {
                let path = format!("frontend/locales/{lang}{suffix}.toml");
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let cat: Catalogue =
                    toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                for k in cat.keys() {
                    assert!(seen.insert(k.clone()), "{k} defined twice ({path})");
                }
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Tr::new(Language::Fr);
        let s = t.fmt("email.greeting", &[("name", "Ada")]);
        assert!(s.contains("Ada"), "{s}");
    }
}
