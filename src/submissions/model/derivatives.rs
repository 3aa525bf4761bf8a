//! Building on shared work, pure: whether a published solution's licence
//! lets others adapt it, and which licences the adaptation may take.
//!
//! The rules follow what each licence asks of adaptations, kept to what can
//! be decided from the SPDX identifier alone:
//! - `-ND` Creative Commons licences allow no adaptation at all;
//! - ShareAlike (`CC-BY-SA`, `CC-BY-NC-SA`) asks for the same licence
//!   family (any version of it);
//! - NonCommercial (`CC-BY-NC`) asks that the adaptation stay
//!   non-commercial (`CC-BY-NC` or `CC-BY-NC-SA`);
//! - strong copyleft (GPL, AGPL) asks for the same licence; GPL-3.0 work
//!   may be combined into AGPL-3.0 (its section 13), and "or later" GPL-2.0
//!   may move to version 3;
//! - weak copyleft (LGPL, MPL, EPL, EUPL, CDDL) asks for the same licence or
//!   a strong copyleft one;
//! - anything else (CC0, CC-BY, MIT, BSD, Apache and the like) lets the
//!   adaptation choose, as long as the attribution is kept, which the
//!   platform does by naming the source.

/// What a licence asks of adaptations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terms {
    NoDerivatives,
    ShareAlike {
        non_commercial: bool,
    },
    NonCommercial,
    /// GPL-2.0, GPL-3.0 or AGPL-3.0, and whether "or later" was given.
    Strong {
        family: &'static str,
        or_later: bool,
    },
    /// The identifier without `-only`/`-or-later`.
    Weak,
    Free,
}

fn terms(id: &str) -> Terms {
    let u = id.trim().to_ascii_uppercase();
    if let Some(rest) = u.strip_prefix("CC-BY") {
        return match (
            rest.contains("-ND"),
            rest.contains("-SA"),
            rest.contains("-NC"),
        ) {
            (true, _, _) => Terms::NoDerivatives,
            (false, true, nc) => Terms::ShareAlike { non_commercial: nc },
            (false, false, true) => Terms::NonCommercial,
            _ => Terms::Free,
        };
    }
    let or_later = u.ends_with("-OR-LATER") || u.ends_with('+');
    for family in ["AGPL-3.0", "GPL-3.0", "GPL-2.0"] {
        if u.starts_with(family) {
            return Terms::Strong { family, or_later };
        }
    }
    if ["LGPL-", "MPL-", "EPL-", "EUPL-", "CDDL-"]
        .iter()
        .any(|p| u.starts_with(p))
    {
        return Terms::Weak;
    }
    Terms::Free
}

/// `GPL-3.0-or-later` and `GPL-3.0-only` are one licence for this purpose.
fn family(id: &str) -> String {
    let u = id.trim().to_ascii_uppercase();
    u.trim_end_matches('+')
        .trim_end_matches("-OR-LATER")
        .trim_end_matches("-ONLY")
        .to_owned()
}

/// Whether a work under `id` may be adapted at all.
pub fn allows_derivatives(id: &str) -> bool {
    terms(id) != Terms::NoDerivatives
}

/// Why an adaptation of a work under `source` may not be licensed `new`:
/// `(code, reason)`, or `Ok` when it may.
pub fn check_derivative_licence(source: &str, new: &str) -> Result<(), (&'static str, String)> {
    let incompatible = |needs: &str| {
        Err((
            "licence_incompatible",
            format!("The source is under {source}, which asks that adaptations use {needs}; {new} does not."),
        ))
    };
    match terms(source) {
        Terms::NoDerivatives => Err((
            "no_derivatives",
            format!("The source is under {source}, which allows no adaptations."),
        )),
        Terms::ShareAlike { non_commercial } => match terms(new) {
            Terms::ShareAlike { non_commercial: n } if n == non_commercial => Ok(()),
            _ if non_commercial => incompatible("CC BY-NC-SA"),
            _ => incompatible("CC BY-SA"),
        },
        Terms::NonCommercial => match terms(new) {
            Terms::NonCommercial
            | Terms::ShareAlike {
                non_commercial: true,
            } => Ok(()),
            _ => incompatible("a non-commercial licence (CC BY-NC or CC BY-NC-SA)"),
        },
        Terms::Strong {
            family: f,
            or_later,
        } => {
            let ok = match terms(new) {
                Terms::Strong { family: g, .. } => {
                    g == f
                        || (f == "GPL-3.0" && g == "AGPL-3.0")
                        || (f == "GPL-2.0" && or_later && g != "GPL-2.0")
                }
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                incompatible(&format!("the {f} licence"))
            }
        }
        Terms::Weak => match terms(new) {
            Terms::Strong { .. } => Ok(()),
            Terms::Weak if family(new) == family(source) => Ok(()),
            _ => incompatible(&format!("{} or a GPL licence", family(source))),
        },
        Terms::Free => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_each_family_allows() {
        assert!(check_derivative_licence("CC-BY-4.0", "MIT").is_ok());
        assert!(check_derivative_licence("CC0-1.0", "CC-BY-NC-ND-4.0").is_ok());
        assert_eq!(
            check_derivative_licence("CC-BY-ND-4.0", "CC-BY-ND-4.0").map_err(|e| e.0),
            Err("no_derivatives")
        );
        assert!(check_derivative_licence("CC-BY-SA-4.0", "CC-BY-SA-4.0").is_ok());
        assert!(check_derivative_licence("CC-BY-SA-3.0", "CC-BY-SA-4.0").is_ok());
        assert_eq!(
            check_derivative_licence("CC-BY-SA-4.0", "CC-BY-4.0").map_err(|e| e.0),
            Err("licence_incompatible")
        );
        assert!(check_derivative_licence("CC-BY-SA-4.0", "CC-BY-NC-SA-4.0").is_err());
        assert!(check_derivative_licence("CC-BY-NC-4.0", "CC-BY-NC-SA-4.0").is_ok());
        assert!(check_derivative_licence("CC-BY-NC-4.0", "CC-BY-4.0").is_err());
        assert!(check_derivative_licence("GPL-3.0-only", "AGPL-3.0-only").is_ok());
        assert!(check_derivative_licence("AGPL-3.0-only", "GPL-3.0-only").is_err());
        assert!(check_derivative_licence("GPL-2.0-only", "GPL-3.0-only").is_err());
        assert!(check_derivative_licence("GPL-2.0-or-later", "GPL-3.0-only").is_ok());
        assert!(check_derivative_licence("GPL-3.0-or-later", "MIT").is_err());
        assert!(check_derivative_licence("MPL-2.0", "MPL-2.0").is_ok());
        assert!(check_derivative_licence("MPL-2.0", "GPL-3.0-only").is_ok());
        assert!(check_derivative_licence("LGPL-3.0-only", "MPL-2.0").is_err());
        assert!(check_derivative_licence("Apache-2.0", "CC-BY-SA-4.0").is_ok());
        assert!(!allows_derivatives("CC-BY-NC-ND-4.0"));
        assert!(allows_derivatives("CC-BY-NC-4.0"));
    }

    #[test]
    fn the_reason_names_both_licences() {
        let Err((_, why)) = check_derivative_licence("CC-BY-SA-4.0", "MIT") else {
            panic!("MIT cannot carry a ShareAlike source");
        };
        assert!(why.contains("CC-BY-SA-4.0") && why.contains("MIT") && why.contains("BY-SA"));
    }

    fn licence() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "CC0-1.0",
            "CC-BY-4.0",
            "CC-BY-SA-4.0",
            "CC-BY-SA-3.0",
            "CC-BY-NC-4.0",
            "CC-BY-NC-SA-4.0",
            "CC-BY-ND-4.0",
            "CC-BY-NC-ND-4.0",
            "MIT",
            "Apache-2.0",
            "BSD-3-Clause",
            "GPL-2.0-only",
            "GPL-2.0-or-later",
            "GPL-3.0-only",
            "GPL-3.0-or-later",
            "AGPL-3.0-only",
            "LGPL-2.1-only",
            "LGPL-3.0-or-later",
            "MPL-2.0",
            "EPL-2.0",
        ])
    }

    proptest! {
        /// A work may always be adapted under its own licence, unless it
        /// allows no adaptation at all; then nothing is accepted.
        #[test]
        fn own_licence_always_fits(l in licence(), other in licence()) {
            if allows_derivatives(l) {
                prop_assert!(check_derivative_licence(l, l).is_ok());
            } else {
                prop_assert!(check_derivative_licence(l, other).is_err());
            }
        }

        /// ShareAlike and copyleft never leak into a licence without them,
        /// and anything permissive may be adapted under any licence.
        #[test]
        fn share_alike_and_copyleft_carry_over(s in licence(), n in licence()) {
            let ok = check_derivative_licence(s, n).is_ok();
            if ok && terms(s) != Terms::Free {
                prop_assert_ne!(terms(n), Terms::Free);
            }
            if terms(s) == Terms::Free {
                prop_assert!(ok);
            }
        }
    }
}
